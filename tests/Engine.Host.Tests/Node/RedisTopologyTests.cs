using Engine.Actors.Campaigns;
using Engine.Host.Configuration;
using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Models.Decisions;
using Engine.Testing;
using Engine.Testing.Redis;

namespace Engine.Host.Tests.Node;

[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class RedisTopologyTests
{
    /// <summary>
    /// Garnet in cluster mode stands for a Redis Cluster: the node refuses it before joining the Akka cluster or reading
    /// Kafka (no Kafka runs here: the check comes first), and says what to point Redis:Endpoint at instead.
    /// </summary>
    [Fact]
    public async Task A_node_refuses_a_redis_in_cluster_mode_at_start_and_says_what_to_use_instead()
    {
        using var clustered = new EmbeddedGarnet(cluster: true);
        var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
        var settings = new EngineNodeSettings("127.0.0.1:1", clustered.Endpoint, modelsDirectory, 2, new ClusterSettings());

        var error = await Assert.ThrowsAsync<ConfigurationError>(() =>
            EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), CancellationToken.None));

        var problem = Assert.Single(error.Problems);
        Assert.Contains($"{clustered.Endpoint} runs in Redis Cluster mode", problem, StringComparison.Ordinal);
        Assert.Contains("standalone Redis", problem, StringComparison.Ordinal);
    }

    /// <summary>On both servers (the redis-server variant fails without one, as every redis-server test does: before 2026-12-06
    /// it checked Garnet only when ENGINE_TEST_REDIS was unset, and passed).</summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public void A_standalone_redis_passes_the_check(RedisKind kind)
    {
        using var fixture = new RedisFixture();
        RedisTopology.EnsureStandalone(fixture.Connect(kind));
    }
}
