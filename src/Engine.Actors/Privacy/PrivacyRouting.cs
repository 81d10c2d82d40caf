using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Engine.Models.Routing;

namespace Engine.Actors.Privacy;

/// <summary>
/// Whether a privacy request came where the engine expects it: keyed by its user id, on the partition murmur2 of that id
/// gives (as the clickstream, and as <c>erase</c> and <c>consent</c> produce). One user's requests are carried out in
/// their order only within one partition: a consent sent through librdkafka's default partitioner (CRC32) and an erasure
/// through murmur2 land on two partitions, maybe two nodes, and the older consent could be applied after the erasure, its
/// hash kept 13 months for a user the engine had acknowledged as erased (before 2026-12-07, review).
/// </summary>
internal sealed class PrivacyRouting(IAdminClient admin)
{
    // Partition counts by topic, as Kafka's metadata gave them and when.
    private readonly ConcurrentDictionary<string, (int Partitions, DateTime ReadUtc)> _partitions = new(StringComparer.Ordinal);

    /// <summary>
    /// Why the request must not be carried out, or null. Blocks while it asks Kafka for the topic's partition count (off the
    /// consumer's thread: on the request's own task); a count Kafka does not give throws, and the request is retried as for
    /// any passing failure, never carried out unchecked.
    /// </summary>
    public string? Misrouted(ConsumeResult<byte[], byte[]> record, string userId)
    {
        if (record.Message.Key is not { } key || !key.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(userId)))
            return "misrouted: a privacy request must be keyed by its user_id (the record's key is another value or none)";
        var partitions = PartitionsOf(record.Topic, fresh: false);
        var expected = KafkaPartitioner.Partition(userId, partitions);
        // Partitions added to the topic since the count was read: read it again before refusing.
        if (expected != record.Partition.Value && PartitionsOf(record.Topic, fresh: true) is var now && now != partitions)
            (partitions, expected) = (now, KafkaPartitioner.Partition(userId, now));
        return expected == record.Partition.Value ? null
            : $"misrouted: user_id belongs to partition {expected} of {partitions} (murmur2 of the key, as Kafka's Java client partitions) but arrived on " +
              $"partition {record.Partition.Value}; produce keyed by user_id with the murmur2 partitioner (librdkafka: partitioner=murmur2_random)";
    }

    private int PartitionsOf(string topic, bool fresh)
    {
        if (!fresh && _partitions.TryGetValue(topic, out var known) && DateTime.UtcNow - known.ReadUtc < TimeSpan.FromMinutes(1)) return known.Partitions;
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
            throw new KafkaException(metadata?.Error ?? new Error(ErrorCode.UnknownTopicOrPart, $"no metadata for {topic}"));
        _partitions[topic] = (metadata.Partitions.Count, DateTime.UtcNow);
        return metadata.Partitions.Count;
    }
}
