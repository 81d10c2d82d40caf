using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Engine.Host.Configuration;
using Engine.Host.Node;
using Engine.Models.Contracts;

namespace Engine.Host.Demo;

/// <summary>
/// The demo on a Kafka or Redis given by address (<c>--kafka</c>, <c>--redis</c>): meant for a development stack, it keeps
/// to a consumer group and Redis keys of its own, and it refuses a Kafka whose clickstream engine nodes read. Before
/// 2026-12-06 it joined the nodes' group <c>engine</c> with the public development pseudonym key: it took partitions from
/// them, wrote their offsets' keys in Redis, and acknowledged erasures it could not carry out on their keys.
/// </summary>
public static class DemoIsolation
{
    /// <summary>The demo's consumer group on a given Kafka (its campaign and privacy groups follow from it).</summary>
    public const string GroupId = "engine-demo";

    /// <summary>The demo's keys on a given Redis: beside a node's <c>engine:</c> keys, never among them.</summary>
    public const string RedisPrefix = "engine-demo:";

    /// <summary><paramref name="settings"/> with the demo's own group (on a given Kafka) and keys (on a given Redis).</summary>
    /// <param name="run">This run's id: on its embedded Kafka with a given Redis, its keys are <see cref="RunPrefix"/>'s.</param>
    public static EngineNodeSettings Apply(EngineNodeSettings settings, bool givenKafka, bool givenRedis, string run)
    {
        // On its embedded Kafka a demo's offsets start at 0 each run: under an earlier run's keys on the same Redis every
        // flush read as superseded by that run's offsets, and every event as a replay (before 2026-12-07, a review). Its
        // cluster is its own too: beside another demo on the same Redis it must not find that one.
        var redis = new RedisOptions { KeyPrefix = givenKafka ? RedisPrefix : RunPrefix(run) }; // the key layout run derives from Redis:KeyPrefix
        return settings with
        {
            GroupId = givenKafka ? GroupId : settings.GroupId,
            ChurnKeyPrefix = givenRedis ? redis.ChurnKeyPrefix : settings.ChurnKeyPrefix,
            ClusterKeyPrefix = givenRedis ? redis.ClusterKeyPrefix : settings.ClusterKeyPrefix,
            Features = givenRedis ? redis.ToFeatureStoreOptions() : settings.Features,
        };
    }

    /// <summary>Where a run on its embedded Kafka keeps its keys on a given Redis: removed when it ends (<see cref="ForgetRunAsync"/>).</summary>
    public static string RunPrefix(string run) => $"{RedisPrefix}{run}:";

    /// <summary>Removes a run's keys (<see cref="RunPrefix"/>) from the given Redis: nothing will read them again.</summary>
    /// <returns>How many keys were removed.</returns>
    public static async Task<long> ForgetRunAsync(string redisConfiguration, string run)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redisConfiguration);
        var removed = 0L;
        var db = redis.GetDatabase();
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            var batch = new List<StackExchange.Redis.RedisKey>(500);
            await foreach (var key in server.KeysAsync(pattern: RunPrefix(run) + "*", pageSize: 500))
            {
                batch.Add(key);
                if (batch.Count < 500) continue;
                removed += await db.KeyDeleteAsync([.. batch]);
                batch.Clear();
            }
            if (batch.Count > 0) removed += await db.KeyDeleteAsync([.. batch]);
        }
        return removed;
    }

    /// <summary>
    /// Refuses a Kafka on which consumer group <paramref name="nodeGroup"/> (<c>Kafka:GroupId</c>'s default) has committed
    /// offsets of the clickstream: engine nodes read it, and the demo's simulated events would become their input.
    /// </summary>
    /// <exception cref="ConfigurationError">The group has committed offsets of the clickstream.</exception>
    public static async Task RefuseKafkaReadByNodesAsync(string bootstrap, string nodeGroup = "engine")
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        // Every topic's metadata: asked for by name, a broker that auto-creates topics would create the clickstream here, with its
        // own partition count instead of --partitions.
        var clickstream = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.SingleOrDefault(t => t.Topic == Topics.Clickstream);
        if (clickstream is not { Error.Code: ErrorCode.NoError } || clickstream.Partitions.Count == 0) return;
        var partitions = clickstream.Partitions.Select(p => new TopicPartition(Topics.Clickstream, p.PartitionId)).ToList();
        var groups = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(nodeGroup, partitions)],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
        var committed = groups.SelectMany(g => g.Partitions).Count(p => p.Offset.Value >= 0);
        if (committed == 0) return;
        throw new ConfigurationError([
            $"--kafka: engine nodes read {Topics.Clickstream} on {bootstrap} (consumer group '{nodeGroup}' has committed offsets on {committed} " +
            $"of its partitions): the demo would write its simulated events into their input. Drive those nodes with " +
            $"'./engine simulate --kafka {bootstrap}', or give the demo a Kafka of its own (no --kafka: the embedded one). If the group is an " +
            $"old demo's (before 2026-12-06 the demo used it), delete it: kafka-consumer-groups.sh --bootstrap-server {bootstrap} --delete --group {nodeGroup}"]);
    }
}
