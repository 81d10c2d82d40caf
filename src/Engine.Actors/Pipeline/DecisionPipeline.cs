using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Users;

namespace Engine.Actors.Pipeline;

/// <summary>How the decision pipeline reads, asks, batches and writes.</summary>
public sealed record DecisionPipelineSettings(
    KafkaConsumerSettings Consumer,
    KafkaProducerSettings Producer,
    DecisionTopics Topics,
    int Parallelism = 256,
    int BatchSize = 2_000,
    TimeSpan? BatchInterval = null,
    TimeSpan? AskTimeout = null,
    int MaxPartitions = 64,
    CommitterSettings? Committer = null)
{
    public TimeSpan EffectiveBatchInterval => BatchInterval ?? TimeSpan.FromMilliseconds(10);
    public TimeSpan EffectiveAskTimeout => AskTimeout ?? TimeSpan.FromSeconds(10);
}

/// <summary>
/// The engine's main stream. Per partition: decode (refused records go to the dead-letter topic), ask each event's
/// user actor with bounded parallelism (order kept), then per batch write the users' changed features behind to
/// Redis in one round trip. Then the decisions and dead letters go to Kafka, and a batch's offset is committed only
/// once Redis and Kafka acknowledged all it caused. A failed ask fails the stream: the caller restarts it from the
/// last commit, and the replay is harmless (features dedup by offset, decisions keep their ids).
/// </summary>
public static class DecisionPipeline
{
    public static (IKafkaControl Control, Task<Done> Completion) Run(
        DecisionPipelineSettings settings, IActorRef users, FeatureStore store,
        PipelineCounters counters, DecisionCounters decisions, IMaterializer materializer, Sharding.ShardAlignment? alignment = null)
    {
        var topic = settings.Consumer.Topics[0];
        var perPartition = Flow.Create<(Confluent.Kafka.TopicPartition Partition, Source<CommittableMessage, NotUsed> Messages)>()
            .MergeMany(settings.MaxPartitions, partition =>
            {
                // A newly assigned partition: move its shard here before its first event asks for it.
                alignment?.AssignedAsync([partition.Partition.Partition.Value]);
                return partition.Messages
                    .Select(DecodedRecord.From)
                    .SelectAsync(settings.Parallelism, record => AskAsync(users, record, settings.EffectiveAskTimeout))
                    .GroupedWithin(settings.BatchSize, settings.EffectiveBatchInterval)
                    .SelectAsync(1, new UserBatchWriter(store, topic, settings.Topics, counters, decisions).WriteAsync);
            });
        return KafkaSource.CommittablePartitionedSource(settings.Consumer)
            .Via(perPartition)
            .Select(batch => (IProducerEnvelope<DecidedBatch>)new MultiMessage<DecidedBatch>(batch.Records, batch))
            .Via(KafkaProducer.Flow<DecidedBatch>(settings.Producer))
            .Select(result =>
            {
                result.PassThrough.RecordLatency(decisions);
                return result.PassThrough.Last;
            })
            .ToMaterialized(Committer.Sink(settings.Committer ?? new CommitterSettings()), Keep.Both)
            .Run(materializer);
    }

    private static async Task<Asked> AskAsync(IActorRef users, DecodedRecord record, TimeSpan timeout)
    {
        if (record.Decoded.Event is not { } evt) return new Asked(record, null);
        var reply = await users.Ask<object>(new UserProtocol.RecordEvent(evt.UserId, evt, record.Position, DateTimeOffset.UtcNow), timeout);
        return reply switch
        {
            UserProtocol.Handled handled => new Asked(record, handled),
            UserProtocol.NotReady notReady => throw new InvalidOperationException($"user {notReady.UserId} not ready: {notReady.Reason}"),
            _ => throw new InvalidOperationException("unexpected reply " + reply.GetType().Name),
        };
    }
}

/// <summary>A record and what its user actor answered (null when the record was refused).</summary>
internal sealed record Asked(DecodedRecord Record, UserProtocol.Handled? Handled);
