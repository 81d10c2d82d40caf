using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Models.Decisions;
using Engine.Testing;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Node;

[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class StartFailureTests(ITestOutputHelper output)
{
    /// <summary>
    /// A node that joined the cluster and then could not start (here Kafka does not answer its campaign feed) leaves the
    /// cluster before it reports the failure: the others see it removed at once. Before 2026-12-06 its actor system stayed
    /// up, an Up member that answered nothing, until its process exited and the split-brain resolver downed it.
    /// </summary>
    [Fact]
    public async Task A_node_that_joined_but_could_not_start_leaves_the_cluster()
    {
        using var garnet = new EmbeddedGarnet();
        var seed = await EngineCluster.StartAsync(new ClusterSettings(), CancellationToken.None);
        try
        {
            var members = Akka.Cluster.Cluster.Get(seed);
            var seedAddress = members.SelfAddress.ToString();
            var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
            var settings = new EngineNodeSettings("127.0.0.1:1", garnet.Endpoint, modelsDirectory, 2, new ClusterSettings(Seeds: [seedAddress]));
            var starting = EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);

            await Until(() => members.State.Members.Count == 2, TimeSpan.FromSeconds(60), "the node joined");
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => starting.WaitAsync(TimeSpan.FromSeconds(90)));
            output.WriteLine($"the start failed with {failure.GetType().Name}: {failure.Message}");
            await Until(() => members.State.Members.Count == 1 && members.State.Unreachable.Count == 0, TimeSpan.FromSeconds(15), "the node left");
        }
        finally
        {
            await seed.Terminate();
        }
    }

    /// <summary>
    /// A Redis that holds offsets of an earlier life of the input topics (recreated, or another Kafka) stops the start, exit 2,
    /// naming the partition and what to do: against those offsets every event would read as already applied and features
    /// would stand still (before 2026-12-07 the node started, ready, with no lag; review).
    /// </summary>
    [Fact]
    public async Task A_redis_holding_offsets_past_the_input_topics_end_stops_the_start()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Engine.Models.Contracts.Topics.All, 2);
        using var garnet = new EmbeddedGarnet();
        using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(garnet.Endpoint))
            await redis.GetDatabase().StringSetAsync(
                new Engine.Actors.Features.FeatureKeys(new Engine.Actors.Features.FeatureStoreOptions().KeyPrefix).PartitionOffset(Engine.Models.Contracts.Topics.Clickstream, 1), 500);
        var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
        var settings = new EngineNodeSettings(kafka.BootstrapServers, garnet.Endpoint, modelsDirectory, 2, new ClusterSettings());

        var error = await Assert.ThrowsAsync<Engine.Host.Configuration.ConfigurationError>(() =>
            EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine(error.Message);
        Assert.Contains("Redis holds features of an earlier engine.clickstream (partition 1 flushed up to offset 500, but Kafka at", Assert.Single(error.Problems));
    }

    private static async Task Until(Func<bool> condition, TimeSpan limit, string what)
    {
        for (var deadline = DateTime.UtcNow + limit; !condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {limit}: {what}");
    }
}
