using Engine.Actors.Campaigns;
using Engine.Host.Cli;
using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Testing;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Node;

[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class RemovedFromClusterTests(ITestOutputHelper output)
{
    /// <summary>
    /// A node the cluster downs (the split-brain resolver, or an operator) says so and exits non-zero, for its supervisor to
    /// start it again. Before, its actor system shut down under it and <c>run</c> reported a pipeline failure, or exited 0
    /// as if asked to stop, which a restart-on-failure policy leaves stopped.
    /// </summary>
    [Fact]
    public async Task A_downed_node_knows_it_was_removed_stops_and_exits_with_its_own_code()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        using var garnet = new EmbeddedGarnet();
        var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
        // Drains that would wait this long are not waited for: a removed node has nothing left to drain.
        var settings = new EngineNodeSettings(kafka.BootstrapServers, garnet.Endpoint, modelsDirectory, 2, new ClusterSettings(),
            DrainTimeout: TimeSpan.FromSeconds(60));
        var models = DemoModels.Load(modelsDirectory);
        var stopped = await EngineNode.StartAsync(settings, models, new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        await stopped.StopAsync();
        Assert.False(stopped.RemovedFromCluster.IsCompleted); // leaving when asked is no removal
        Assert.Equal((0, null), NodeRunner.Ending(stopped));

        var node = await EngineNode.StartAsync(settings, models, new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        var cluster = Akka.Cluster.Cluster.Get(node.System);

        cluster.Down(cluster.SelfAddress);

        await node.RemovedFromCluster.WaitAsync(TimeSpan.FromSeconds(30));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var (code, message) = NodeRunner.Ending(node);
        output.WriteLine($"stop took {watch.Elapsed.TotalSeconds:F1} s; exit {code}: {message}");
        Assert.Equal(NodeRunner.RemovedFromClusterExitCode, code);
        Assert.Contains("removed from the cluster", message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(45), $"the stop waited out drains of streams already gone ({watch.Elapsed})");
    }
}
