using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>How a Kafka source consumes: group, topics, bounds on the hand-off to the stream, and any client property.</summary>
/// <param name="ClientConfig">
/// Passed to librdkafka as is (SASL, SSL, fetch sizes, ...); the stage owns <c>enable.auto.commit</c>,
/// <c>enable.auto.offset.store</c>, <c>bootstrap.servers</c> and <c>group.id</c>.
/// </param>
/// <param name="MaxBufferedPerPartition">
/// Messages fetched but not yet emitted, per partition; past it the partition is paused. Keep it at about a second of
/// processing: librdkafka refetches a resumed partition only ~0.5 s later.
/// </param>
/// <param name="PollBurst">Messages taken from librdkafka per wake-up of the stream (one async hand-off per burst).</param>
/// <param name="DrainTimeout">On revocation or shutdown, how long to wait for the offsets of emitted messages to be committed.</param>
/// <param name="ReadHeaders">Whether records carry their headers (<see cref="KafkaRecord.Headers"/>): off, the client does not marshal them.</param>
public sealed record KafkaConsumerSettings(
    string BootstrapServers,
    string GroupId,
    IReadOnlyList<string> Topics,
    IReadOnlyDictionary<string, string>? ClientConfig = null,
    int MaxBufferedPerPartition = 10_000,
    int PollBurst = 2_000,
    TimeSpan? DrainTimeout = null,
    AutoOffsetReset AutoOffsetReset = AutoOffsetReset.Earliest,
    bool ReadHeaders = false,
    TimeSpan? RefusalTolerance = null)
{
    public TimeSpan EffectiveDrainTimeout => DrainTimeout ?? TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long Kafka may refuse the group or the topic (an authorization error) before the stream fails: ACLs granted with
    /// the deploy, or still spreading through the cluster, refuse a moment, and each failure rebalances the whole group.
    /// </summary>
    public TimeSpan EffectiveRefusalTolerance => RefusalTolerance ?? TimeSpan.FromSeconds(30);

    /// <summary>The librdkafka configuration the source uses (public so a plain client can be configured the same way).</summary>
    public ConsumerConfig ToConsumerConfig()
    {
        var config = new ConsumerConfig(ClientConfig?.ToDictionary() ?? [])
        {
            BootstrapServers = BootstrapServers,
            GroupId = GroupId,
            // Offsets are committed explicitly, only for messages the stream has finished with: at-least-once.
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset,
            // The stream reads records only: an end-of-partition result has no message (a Kafka__Client setting asking for
            // them put a null where the poll thread reads a record, and the stream restarted at every partition's end).
            EnablePartitionEof = false,
        };
        return config;
    }
}
