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
}
