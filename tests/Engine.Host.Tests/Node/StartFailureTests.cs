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

    private static async Task Until(Func<bool> condition, TimeSpan limit, string what)
    {
        for (var deadline = DateTime.UtcNow + limit; !condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {limit}: {what}");
    }
}
