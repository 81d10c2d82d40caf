using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Host.Telemetry;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Testing;
using Engine.Testing.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Telemetry;

/// <summary>What the node's monitor reads while one of its servers hangs.</summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class NodeMonitorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_hung_Redis_does_not_make_Kafka_look_unreachable()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        using var redis = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        var models = Path.Combine(RepoPaths.Root, "models");
        // A patient client (Redis:TimeoutMs up to 10 minutes is allowed): a PING to a hung server waits that long.
        var settings = new EngineNodeSettings(kafka.BootstrapServers, redis.Endpoint + ",asyncTimeout=25000,syncTimeout=25000", models, 2,
            new ClusterSettings(), DrainTimeout: TimeSpan.FromSeconds(3));
        var node = await EngineNode.StartAsync(settings, DemoModels.Load(models), new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        // Read on every probe: one task for the node's life (before 2026-12-07 each read registered a new one on both pipelines).
        Assert.Same(node.Completion, node.Completion);
        var monitor = new NodeMonitor(new ConsumerLagProbe(kafka.BootstrapServers, new Dictionary<string, string>(), settings.InputGroups),
            NullLogger.Instance, TimeSpan.FromSeconds(1));
        monitor.Attach(node);
        await Until(() => monitor.Readiness() is { RedisReachable: true, KafkaReachable: true }, TimeSpan.FromSeconds(30));

        redis.Freeze();
        var samples = new List<Readiness>();
        for (var end = DateTime.UtcNow.AddSeconds(22); DateTime.UtcNow < end; await Task.Delay(250)) samples.Add(monitor.Readiness());
        redis.Thaw();
        await monitor.DisposeAsync();
        await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine($"Redis frozen 22 s: {samples.Count} readings, Redis unreachable in {samples.Count(s => s.RedisReachable == false)}, " +
                         $"Kafka unreachable in {samples.Count(s => s.KafkaReachable != true)}");
        Assert.Contains(samples, s => s.RedisReachable == false); // the hang was seen
        // One probe after the other (before 2026-12-07), Kafka's next answer waited behind the 25 s PING.
        Assert.All(samples, s => Assert.True(s.KafkaReachable, "Kafka read unreachable while Redis hung"));
    }

    private static async Task Until(Func<bool> condition, TimeSpan timeout)
    {
        for (var deadline = DateTime.UtcNow + timeout; !condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in " + timeout);
    }
}
