using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>One consumed Kafka message: raw key and value, where it came from and when it was written.</summary>
public sealed record KafkaRecord(string Topic, int Partition, long Offset, byte[]? Key, byte[]? Value, DateTime TimestampUtc)
{
    /// <summary>When the poll thread took it from librdkafka (UTC): splits the broker's share of its latency from ours.</summary>
    public DateTime PolledUtc { get; init; }

    /// <summary>The record's headers, when the source reads them (<see cref="KafkaConsumerSettings.ReadHeaders"/>); otherwise null.</summary>
    public Headers? Headers { get; init; }

    public TopicPartition TopicPartition => new(Topic, Partition);
}

/// <summary>A consumed message with the offset to commit once the stream is done with it.</summary>
public sealed record CommittableMessage(KafkaRecord Record, CommittableOffset Offset);

/// <summary>
/// The position of one consumed message, tied to the consumer (and the partition assignment) that read it:
/// committing it commits <c>Offset + 1</c> through that consumer, and only while it still owns the partition.
/// </summary>
public sealed record CommittableOffset(string GroupId, string Topic, int Partition, long Offset)
{
    /// <summary>The assignment this offset was read under; a commit after it was revoked is dropped as stale.</summary>
    internal PartitionLease Lease { get; init; } = null!;

    public TopicPartition TopicPartition => new(Topic, Partition);
}
