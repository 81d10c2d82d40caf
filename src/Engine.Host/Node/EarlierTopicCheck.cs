using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Host.Telemetry;
using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>
/// Refuses a Redis that holds offsets of an earlier life of the input topics: each partition's highest flushed offset (the
/// features' exactly-once guard) past the end Kafka has for it. A high watermark never goes down, so a healthy node never
/// trips this; a recreated topic (disaster recovery, a new cluster, partitions changed by recreating) starts again at
/// offset 0, and against the old offsets every event read as a duplicate and every flush as superseded: features and
/// campaign spend stood still for up to the keys' 31 days, with the node ready and no lag (before 2026-12-07, review).
/// </summary>
internal static class EarlierTopicCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <exception cref="Configuration.ConfigurationError">A partition's stored offset is at or past its end in Kafka, or Redis refused the read for good.</exception>
    /// <exception cref="Configuration.StartupUnavailable">Redis did not answer, or refused for now.</exception>
    public static async Task EnsureAsync(FeatureStore store, string bootstrap, IReadOnlyDictionary<string, string> client, int partitions)
    {
        var stored = new List<(string Topic, int Partition, long Offset)>();
        try
        {
            foreach (var topic in new[] { Topics.Clickstream, Topics.CampaignEvents })
                foreach (var (partition, offset) in await store.PartitionOffsetsAsync(topic, [.. Enumerable.Range(0, partitions)]))
                    stored.Add((topic, partition, offset));
        }
        catch (RedisServerException e) when (RedisRefusal.ForGood(e))
        {
            throw new Configuration.ConfigurationError([$"Redis refused the features' partition offsets ({RedisRefusal.Code(e)} on {store.Keys.Prefix}offsets:*): " +
                                                        "grant Redis:User read and write on the keys under Redis:KeyPrefix, or remove what another program wrote there."]);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            throw new Configuration.StartupUnavailable($"Redis did not answer, or refused for now, when the features' partition offsets were read: {e.Message}", e);
        }
        if (stored.Count == 0) return; // a fresh Redis: nothing to compare (and no Kafka call)

        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(KafkaClientProperties.ForConsumer(client))
        {
            BootstrapServers = bootstrap, GroupId = "engine-offset-check", EnableAutoCommit = false, // never joined: watermarks only
        }).SetLogHandler((_, _) => { }).Build();
        var ends = Watermarks.Query(consumer, [.. stored.Select(s => new TopicPartition(s.Topic, s.Partition))], Timeout);
        var problems = new List<string>();
        for (var i = 0; i < stored.Count; i++)
        {
            var (topic, partition, offset) = stored[i];
            if (ends[i]?.High.Value is { } end && offset >= end)
                problems.Add($"Redis:KeyPrefix: Redis holds features of an earlier {topic} (partition {partition} flushed up to offset {offset}, " +
                             $"but Kafka at {bootstrap} ends it at {end}): the topic was recreated, or this is another Kafka. Against these offsets every " +
                             $"event would read as already applied. Use another Redis:KeyPrefix, or delete the keys under {store.Keys.Prefix}.");
        }
        if (problems.Count > 0) throw new Configuration.ConfigurationError(problems);
    }
}
