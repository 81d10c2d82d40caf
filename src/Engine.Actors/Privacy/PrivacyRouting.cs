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
    // Partition counts by topic, read from Kafka's metadata and read again a minute later (a topic's partitions may grow).
    private readonly Dictionary<string, (int? Partitions, DateTime ReadUtc)> _partitions = new(StringComparer.Ordinal);

    /// <summary>Why the request must not be carried out, or null. Called on the privacy consumer's thread only.</summary>
    public string? Misrouted(ConsumeResult<byte[], byte[]> record, string userId)
    {
        if (record.Message.Key is not { } key || !key.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(userId)))
            return "misrouted: a privacy request must be keyed by its user_id (the record's key is another value or none)";
        if (PartitionsOf(record.Topic) is not { } n) return null; // unknown (Kafka not answering metadata): the key is checked
        var expected = KafkaPartitioner.Partition(userId, n);
        return expected == record.Partition.Value ? null
            : $"misrouted: user_id belongs to partition {expected} of {n} (murmur2 of the key, as Kafka's Java client partitions) but arrived on " +
              $"partition {record.Partition.Value}; produce keyed by user_id with the murmur2 partitioner (librdkafka: partitioner=murmur2_random)";
    }

    private int? PartitionsOf(string topic)
    {
        if (_partitions.TryGetValue(topic, out var known) && DateTime.UtcNow - known.ReadUtc < TimeSpan.FromMinutes(1)) return known.Partitions;
        int? partitions = null;
        try
        {
            partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.SingleOrDefault(t => t.Topic == topic) is { Error.IsError: false } metadata
                ? metadata.Partitions.Count : null;
        }
        catch (KafkaException)
        {
            // Asked again at the next request.
        }
        if (partitions is not null) _partitions[topic] = (partitions, DateTime.UtcNow);
        return partitions;
    }
}
