using Akka.Event;
using Confluent.Kafka;
using Engine.Actors.Kafka;

namespace Engine.Actors.Tests.Kafka;

/// <summary>A consumer halted before its poll thread started (a crash as its stream began) never joins the group.</summary>
public sealed class ConsumerWorkerHaltTests
{
    /// <summary>Its source completes as after any stop: before 2026-12-07 it neither emitted nor completed, and its stream hung.</summary>
    [Fact]
    public async Task A_consumer_halted_before_it_started_completes_its_source()
    {
        var routing = new RecordingRouting();
        var worker = new ConsumerWorker(new KafkaConsumerSettings("127.0.0.1:1", "halted-early", ["t"]), routing);

        await worker.HaltAsync().WaitAsync(TimeSpan.FromSeconds(5));
        worker.Start(NoLogger.Instance);

        Assert.True(routing.StoppedCalled);
        await worker.Shutdown.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private sealed class RecordingRouting : IPartitionRouting
    {
        public bool StoppedCalled { get; private set; }

        public HandOffQueue<CommittableMessage[]> Assigned(TopicPartition partition) => throw new InvalidOperationException("never assigned");

        public void Started(PartitionLease lease) => throw new InvalidOperationException("never assigned");

        public void Revoked(PartitionLease lease) => throw new InvalidOperationException("never assigned");

        public void Stopped() => StoppedCalled = true;

        public void Failed(Exception error) => throw new InvalidOperationException("never failed", error);
    }
}
