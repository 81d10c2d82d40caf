using Engine.Actors.Pipeline;

namespace Engine.Actors.Tests.Pipeline;

public sealed class PartitionClockTests
{
    /// <summary>
    /// Only events move a partition's clock: one that gets none stands still, and so do its quiet users' churn checks. How long it
    /// has stood is what the on-call engineer sees (<c>engine_churn_clock_still_seconds</c>); an event older than the clock leaves it.
    /// </summary>
    [Fact]
    public async Task A_partitions_clock_says_how_long_it_has_stood_still_and_only_a_later_event_moves_it()
    {
        var clock = new PartitionClock();
        clock.Advance(0, 1_000);
        clock.Advance(1, 1_000);
        await Task.Delay(300);
        clock.Advance(1, 2_000); // moved
        clock.Advance(0, 500);   // older than partition 0's clock: it stands
        var still = clock.StillFor().ToDictionary(p => p.Partition, p => p.StillFor);
        Assert.True(still[0] >= TimeSpan.FromMilliseconds(250), $"partition 0 still for {still[0]}");
        Assert.True(still[1] < still[0], $"partition 1 moved {still[1]} ago, partition 0 {still[0]} ago");
        Assert.Equal(1_000, clock.Watermarks[0]);

        clock.Forget(0); // revoked: no longer this node's to sweep or report
        Assert.Equal([1], clock.StillFor().Select(p => p.Partition));
    }
}
