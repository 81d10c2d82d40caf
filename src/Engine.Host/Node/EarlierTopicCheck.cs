using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Models.Contracts;

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
    /// <exception cref="Configuration.ConfigurationError">A partition's stored offset is at or past its end in Kafka.</exception>
    public static async Task EnsureAsync(FeatureStore store, string bootstrap, IReadOnlyDictionary<string, string> client, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(KafkaClientProperties.ForConsumer(client))
        {
            BootstrapServers = bootstrap, GroupId = "engine-offset-check", EnableAutoCommit = false, // never joined: watermarks only
        }).SetLogHandler((_, _) => { }).Build();
        var problems = new List<string>();
        foreach (var topic in new[] { Topics.Clickstream, Topics.CampaignEvents })
        {
            var stored = await store.PartitionOffsetsAsync(topic, [.. Enumerable.Range(0, partitions)]);
            foreach (var (partition, offset) in stored.OrderBy(s => s.Key))
            {
                long end;
                try
                {
                    end = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10)).High.Value;
                }
                catch (KafkaException)
                {
                    continue; // a partition without a leader for now: nothing to say of it (the pipelines wait for it anyway)
                }
                if (offset >= end)
                    problems.Add($"Redis:KeyPrefix: Redis holds features of an earlier {topic} (partition {partition} flushed up to offset {offset}, " +
                                 $"but Kafka at {bootstrap} ends it at {end}): the topic was recreated, or this is another Kafka. Against these offsets every " +
                                 $"event would read as already applied. Use another Redis:KeyPrefix, or delete the keys under {store.Keys.Prefix}.");
            }
        }
        if (problems.Count > 0) throw new Configuration.ConfigurationError(problems);
    }
}
