using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>All assigned partitions in one stream (order kept per partition).</summary>
internal sealed class CommittableSourceStage(KafkaConsumerSettings settings)
    : GraphStageWithMaterializedValue<SourceShape<CommittableMessage>, IKafkaControl>
{
    private readonly Outlet<CommittableMessage> _out = new("kafka.committable.out");

    public override SourceShape<CommittableMessage> Shape => new(_out);

    public override ILogicAndMaterializedValue<IKafkaControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var routing = new SharedRouting();
        var worker = new ConsumerWorker(settings, routing);
        var logic = new MessageSourceLogic(Shape, routing.Queue, worker.Start, worker.StreamCancelled, cancelOnAbruptStop: true);
        return new LogicAndMaterializedValue<IKafkaControl>(logic, worker);
    }

    /// <summary>Every partition feeds the one queue; a revoked partition's leftovers are skipped by the stage.</summary>
    private sealed class SharedRouting : IPartitionRouting
    {
        public HandOffQueue<CommittableMessage[]> Queue { get; } = new();

        public HandOffQueue<CommittableMessage[]> Assigned(TopicPartition partition) => Queue;
        public void Started(PartitionLease lease) { }
        public void Revoked(PartitionLease lease) { }
        public void Stopped() => Queue.Complete();
        public void Failed(Exception error) => Queue.Complete(error);
    }
}
