using Akka;
using Akka.Streams.Dsl;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>Sources reading Kafka with offsets to commit once processed (at-least-once).</summary>
public static class KafkaSource
{
    /// <summary>All assigned partitions as one stream; order is kept per partition.</summary>
    public static Source<CommittableMessage, IKafkaControl> CommittableSource(KafkaConsumerSettings settings) =>
        Source.FromGraph(new CommittableSourceStage(settings));

    /// <summary>
    /// The same with the offset as stream context: transform the record with <c>Select</c>/<c>SelectAsync</c>, the
    /// offset follows it to the committer (or to <see cref="KafkaProducer.FlowWithContext{TCtx}"/>).
    /// </summary>
    public static SourceWithContext<KafkaRecord, CommittableOffset, IKafkaControl> CommittableWithContext(KafkaConsumerSettings settings) =>
        CommittableSource(settings).AsSourceWithContext(m => m.Offset).Select(m => m.Record);

    /// <summary>
    /// One sub-source per assigned partition: emitted when the partition is assigned, completed when it is revoked.
    /// Run each with its own processing and commit; order is kept within each.
    /// </summary>
    public static Source<(TopicPartition Partition, Source<CommittableMessage, NotUsed> Messages), IKafkaControl>
        CommittablePartitionedSource(KafkaConsumerSettings settings) =>
        Source.FromGraph(new PartitionedSourceStage(settings));
}
