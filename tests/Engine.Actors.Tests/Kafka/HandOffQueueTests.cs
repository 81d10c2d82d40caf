using Engine.Actors.Kafka;

namespace Engine.Actors.Tests.Kafka;

public sealed class HandOffQueueTests
{
    /// <summary>
    /// A failed consumer completes its partitions' queues with the error, then its close revokes them, completing them
    /// again without one: the sub-sources must still fail, not end as if revoked (the first end holds).
    /// </summary>
    [Fact]
    public void The_first_end_holds_so_a_failure_is_not_overwritten_by_the_revocation_after_it()
    {
        var failed = new HandOffQueue<int>();
        var wakeUps = 0;
        failed.Attach(() => wakeUps++);
        Assert.True(failed.Arm());
        var error = new InvalidOperationException("consumer failed");

        failed.Complete(error);
        failed.Complete();

        Assert.True(failed.IsCompleted);
        Assert.Same(error, failed.Error);
        Assert.Equal(1, wakeUps);

        var revoked = new HandOffQueue<int>();
        revoked.Complete();
        revoked.Complete(error);
        Assert.Null(revoked.Error);
    }

    /// <summary>
    /// A partition revoked while its stream stopped pulling (a producer stalled downstream): its stage never armed, so before
    /// 2026-12-07 the end was signalled to nobody and its fetched records stayed queued, another partition's worth for each
    /// rebalance of the stall. They are let go, and the stage woken to complete.
    /// </summary>
    [Fact]
    public void An_end_lets_the_queued_items_go_and_wakes_a_stage_that_has_not_armed()
    {
        var queue = new HandOffQueue<int[]>();
        var wakeUps = 0;
        queue.Attach(() => wakeUps++);
        for (var i = 0; i < 3; i++) queue.Enqueue(new int[10_000]);
        queue.Signal(); // not armed: the stage has items and no demand

        queue.Complete();

        Assert.Equal(1, wakeUps);
        Assert.False(queue.TryDequeue(out _));
        Assert.False(queue.Arm()); // completed: the stage delivers (its end) rather than wait
    }
}
