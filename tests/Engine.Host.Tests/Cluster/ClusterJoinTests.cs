using Engine.Host.Configuration;
using Engine.Host.Node;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Cluster;

[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class ClusterJoinTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_whose_seeds_never_answer_gives_up_after_its_join_timeout_naming_what_to_check()
    {
        // Nothing listens at the seed's address. Before 2026-12-06 the start waited on a join task that completes only once
        // the member is up: it hung for ever (healthy to a supervisor) instead of exiting 3 after the timeout.
        var settings = new ClusterSettings(Port: 0, Seeds: ["akka.tcp://engine@127.0.0.1:1"], JoinTimeout: TimeSpan.FromSeconds(3));
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<StartupUnavailable>(() => EngineCluster.StartAsync(settings, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine($"after {(DateTime.UtcNow - started).TotalSeconds:N1} s: {error.Message}");
        Assert.Contains("did not join the cluster within 3 s", error.Message);
        Assert.Contains("akka.tcp://engine@127.0.0.1:1", error.Message);
    }
}
