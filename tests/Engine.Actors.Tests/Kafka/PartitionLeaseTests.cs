using Confluent.Kafka;
using Engine.Actors.Kafka;

namespace Engine.Actors.Tests.Kafka;

public sealed class PartitionLeaseTests
{
    /// <summary>
    /// The stage's emit and the poll thread's revocation decide under one lock: once revocation began nothing more is marked
    /// emitted, so the drain reads the last offset this owner will ever emit, and the next owner starts after it.
    /// </summary>
    [Fact]
    public async Task Nothing_is_emitted_once_revocation_began_and_the_drain_reads_the_last_emitted_offset()
    {
        var lease = new PartitionLease(new TopicPartition("t", 0), new HandOffQueue<CommittableMessage[]>(), null!);
        Assert.True(lease.TryEmit(41));
        lease.BeginRevoke();
        Assert.False(lease.TryEmit(42));
        Assert.Equal(41, lease.LastEmitted);

        // Side by side: every offset the stage marked emitted is at most what the drain read once revocation began.
        for (var round = 0; round < 2_000; round++)
        {
            var racing = new PartitionLease(new TopicPartition("t", 0), new HandOffQueue<CommittableMessage[]>(), null!);
            using var go = new Barrier(2);
            long lastMarked = -1;
            var stage = Task.Run(() =>
            {
                go.SignalAndWait();
                for (long offset = 0; offset < 1_000 && racing.TryEmit(offset); offset++) lastMarked = offset;
            });
            go.SignalAndWait();
            racing.BeginRevoke();
            var drainRead = racing.LastEmitted;
            await stage;
            Assert.True(lastMarked <= drainRead, $"round {round}: offset {lastMarked} marked emitted after the drain read {drainRead}");
        }
    }
}
