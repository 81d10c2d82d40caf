using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;

namespace Engine.Actors.Pipeline;

/// <summary>Where the feature pipeline reads and writes, and how it batches.</summary>
public sealed record FeaturePipelineSettings(
    KafkaConsumerSettings Consumer,
    KafkaProducerSettings Producer,
    string DeadLetterTopic,
    int MaxPartitions = 64,
    int BatchSize = 2_000,
    TimeSpan? BatchInterval = null,
    CommitterSettings? Committer = null)
{
    public TimeSpan EffectiveBatchInterval => BatchInterval ?? TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// Clickstream -> features in Redis, at least once with an exactly-once effect: each partition decodes its
/// records, applies a batch to its in-memory feature state and writes the changes behind to Redis in one round
/// trip; refused records go to the dead-letter topic; a batch's offset is committed only after Redis and Kafka
/// acknowledged what it caused. A Redis that is down stalls the partition (backpressure) until it answers.
/// </summary>
public static class FeaturePipeline
{
    public static (IKafkaControl Control, Task<Done> Completion) Run(
        FeaturePipelineSettings settings, FeatureStore store, FeatureMetrics metrics, PipelineCounters counters, IMaterializer materializer)
    {
        var topic = settings.Consumer.Topics[0];
        // Each partition gets its own feature state and batcher; MergeMany keeps order within a partition.
        var perPartition = Flow.Create<(Confluent.Kafka.TopicPartition Partition, Source<CommittableMessage, NotUsed> Messages)>()
            .MergeMany(settings.MaxPartitions, partition => partition.Messages
                .Select(DecodedRecord.From)
                .GroupedWithin(settings.BatchSize, settings.EffectiveBatchInterval)
                .SelectAsync(1, new PartitionBatcher(new FeatureWriteBehind(store, metrics, topic), counters).ApplyAsync));
        return KafkaSource.CommittablePartitionedSource(settings.Consumer)
            .Via(perPartition)
            .Select(batch => (IProducerEnvelope<CommittableOffset>)new MultiMessage<CommittableOffset>(
                [.. batch.Refused.Select(r => DeadLetters.Record(r.Message.Record, r.Decoded.Error!, settings.DeadLetterTopic, DateTimeOffset.UtcNow))],
                batch.Last))
            .Via(KafkaProducer.Flow<CommittableOffset>(settings.Producer))
            .Select(result => result.PassThrough)
            .ToMaterialized(Committer.Sink(settings.Committer ?? new CommitterSettings()), Keep.Both)
            .Run(materializer);
    }
}
