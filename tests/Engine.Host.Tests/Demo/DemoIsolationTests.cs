using Confluent.Kafka;
using Engine.Host.Configuration;
using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Testing.Redis;

namespace Engine.Host.Tests.Demo;

/// <summary>The demo on servers given by address keeps off the engine nodes' group, keys and input.</summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class DemoIsolationTests
{
    [Fact]
    public async Task A_kafka_whose_clickstream_the_nodes_group_has_committed_is_refused_with_what_to_do()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        await DemoIsolation.RefuseKafkaReadByNodesAsync(kafka.BootstrapServers); // nobody reads it yet
        // The demo's own group, or a node group of another name, does not count.
        Commit(kafka, DemoIsolation.GroupId, 0, 12);

        await DemoIsolation.RefuseKafkaReadByNodesAsync(kafka.BootstrapServers);

        Commit(kafka, "engine", 1, 40);
        var error = await Assert.ThrowsAsync<ConfigurationError>(() => DemoIsolation.RefuseKafkaReadByNodesAsync(kafka.BootstrapServers));
        var problem = Assert.Single(error.Problems);
        Assert.Contains("consumer group 'engine' has committed offsets on 1 of its partitions", problem);
        Assert.Contains($"./engine simulate --kafka {kafka.BootstrapServers}", problem);
        Assert.Contains("--delete --group engine", problem);
    }

    [Fact]
    public async Task The_check_creates_no_topic_on_a_kafka_that_creates_topics_when_asked_about_them()
    {
        await using var kafka = new EmbeddedKafka();

        await DemoIsolation.RefuseKafkaReadByNodesAsync(kafka.BootstrapServers);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        Assert.DoesNotContain(Topics.Clickstream, admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic));
    }

    [Fact]
    public void On_given_servers_the_demo_uses_a_group_and_redis_keys_of_its_own_and_on_embedded_ones_the_defaults()
    {
        var defaults = new EngineNodeSettings("kafka:9092", "redis:6379", "models", 4, new ClusterSettings());

        var given = DemoIsolation.Apply(defaults, givenKafka: true, givenRedis: true, run: "r1");
        Assert.Equal("engine-demo", given.GroupId);
        Assert.Equal(["engine-demo", "engine-demo-campaigns"], given.InputGroups.Select(g => g.Group));
        Assert.Equal("engine-demo:f:", given.Features!.KeyPrefix);
        Assert.Equal("engine-demo:churn:", given.ChurnKeyPrefix);
        Assert.Equal("engine-demo:cluster:", given.ClusterKeyPrefix);

        var embedded = DemoIsolation.Apply(defaults, givenKafka: false, givenRedis: false, run: "r1");
        Assert.Equal(defaults, embedded);
    }

    /// <summary>
    /// On its embedded Kafka a demo's offsets start at 0 each run: on a given Redis, an earlier run's stored offsets made every
    /// flush of the next one read as superseded and every event as a replay, so nothing was written (before 2026-12-07, a
    /// review). Each run keeps its keys under a prefix of its own, and removes them when it ends.
    /// </summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task On_a_given_redis_with_the_embedded_kafka_each_run_has_keys_of_its_own_and_removes_them(RedisKind kind)
    {
        var defaults = new EngineNodeSettings("kafka:9092", "redis:6379", "models", 4, new ClusterSettings());
        var (first, second) = (DemoIsolation.Apply(defaults, givenKafka: false, givenRedis: true, run: "run1"),
            DemoIsolation.Apply(defaults, givenKafka: false, givenRedis: true, run: "run2"));
        Assert.Equal("engine-demo:run1:f:", first.Features!.KeyPrefix);
        Assert.Equal("engine-demo:run2:f:", second.Features!.KeyPrefix);
        Assert.Equal(("engine-demo:run1:churn:", "engine-demo:run1:cluster:"), (first.ChurnKeyPrefix, first.ClusterKeyPrefix));
        Assert.Equal(defaults.GroupId, first.GroupId);

        using var fixture = new RedisFixture();
        var db = fixture.Connect(kind).GetDatabase();
        var run = $"forget{Guid.NewGuid():N}";
        var other = $"keep{Guid.NewGuid():N}";
        for (var i = 0; i < 1_200; i++) await db.StringSetAsync($"{DemoIsolation.RunPrefix(run)}f:u{i}", i);
        await db.StringSetAsync($"{DemoIsolation.RunPrefix(other)}f:u0", 0);

        var removed = await DemoIsolation.ForgetRunAsync(fixture.Endpoint(kind), run);

        Assert.Equal(1_200, removed);
        Assert.False(await db.KeyExistsAsync($"{DemoIsolation.RunPrefix(run)}f:u7"));
        Assert.True(await db.KeyExistsAsync($"{DemoIsolation.RunPrefix(other)}f:u0"));
        await db.KeyDeleteAsync($"{DemoIsolation.RunPrefix(other)}f:u0");
    }

    private static void Commit(EmbeddedKafka kafka, string group, int partition, long offset)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = group, EnableAutoCommit = false }).Build();
        consumer.Commit([new TopicPartitionOffset(Topics.Clickstream, partition, offset)]);
    }
}
