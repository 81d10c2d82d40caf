using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Models.Features;

namespace Engine.Actors.Tests.Pipeline;

public sealed class DurableOffsetsTests
{
    [Fact]
    public void An_entity_may_stop_only_once_its_partition_is_durable_up_to_its_last_answer()
    {
        var durable = new DurableOffsets();
        var idle = new IdlePassivation(TimeSpan.FromMinutes(2), durable);

        Assert.True(idle.MayStop(null)); // answered nothing since it started: nothing of its own waits for Redis
        Assert.False(idle.MayStop(new EventPosition(3, 0)));
        durable.Advance(3, 10);
        Assert.True(idle.MayStop(new EventPosition(3, 10)));
        Assert.False(idle.MayStop(new EventPosition(3, 11)));
        Assert.False(idle.MayStop(new EventPosition(4, 0))); // partitions are independent
        durable.Advance(3, 5); // a late acknowledgement of an earlier flush never moves it back
        Assert.True(idle.MayStop(new EventPosition(3, 10)));
    }

    [Fact]
    public async Task An_answer_left_by_a_stopped_entity_is_awaited_only_while_its_partitions_writer_runs()
    {
        var durable = new DurableOffsets();
        var idle = new IdlePassivation(TimeSpan.FromMinutes(2), durable);

        // Entities stopped by a stream's restart, after its writers ended: the next run replays from the commit, and before
        // 2026-12-06 every load of it waited out its limit for a flush that could never come.
        idle.Stopped("u-1", new EventPosition(3, 40));
        Assert.True(durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMinutes(5)).IsCompleted);

        // While a writer runs, a load waits until Redis holds the answer; its end forgets it.
        durable.Writing(3);
        idle.Stopped("u-1", new EventPosition(3, 41));
        var waiting = durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMinutes(5));
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        durable.Advance(3, 41);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        idle.Stopped("u-1", new EventPosition(3, 42));
        durable.Forget(3);
        Assert.True(durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMinutes(5)).IsCompleted);
    }

    /// <summary>
    /// An answer that arrives while a load waits (sent by the previous node just before its entity stopped) raises what the
    /// load waits for: before 2026-12-07 the wait ended at the answer it first read, and the state loaded without the later one.
    /// </summary>
    [Fact]
    public async Task A_load_waits_for_an_answer_that_arrives_while_it_waits()
    {
        var durable = new DurableOffsets();
        durable.Writing(3);
        durable.AwaitBeforeLoading(3, "u-1", 10);
        var waiting = durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMinutes(5));
        durable.AwaitBeforeLoading(3, "u-1", 20);
        durable.Advance(3, 10);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        durable.Advance(3, 20);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMinutes(5)).IsCompleted);
    }

    /// <summary>
    /// Redis holds writes past the load's limit (while it serves reads): the load fails rather than read a state the flush is
    /// missing from, which its next write would have erased the flush with. A writer that ends meanwhile ends the wait.
    /// </summary>
    [Fact]
    public async Task A_load_that_would_miss_a_flush_still_on_its_way_fails_at_its_limit_and_ends_with_the_writer()
    {
        var durable = new DurableOffsets();
        var idle = new IdlePassivation(TimeSpan.FromMinutes(2), durable);
        durable.Writing(3);
        idle.Stopped("u-1", new EventPosition(3, 41));
        await Assert.ThrowsAsync<TimeoutException>(() => durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMilliseconds(100))); // before 2026-12-06: it loaded

        var waiting = durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMinutes(5));
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        durable.Forget(3); // the writer ended: its flush can never land, and the next run replays from the commit
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        // Only the entity that left the answer waits: another's state does not hold it (and waiting for it could wait on an
        // answer held up behind the loading entity's own next event).
        durable.Writing(3);
        idle.Stopped("u-1", new EventPosition(3, 43));
        Assert.True(durable.CaughtUpAsync(3, "u-2", TimeSpan.FromMinutes(5)).IsCompleted);
        Assert.False(durable.CaughtUpAsync(3, "u-1", TimeSpan.FromMinutes(5)).IsCompleted);
    }
}
