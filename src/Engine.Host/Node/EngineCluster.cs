using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;

namespace Engine.Host.Node;

/// <summary>Where this node listens and whom it joins: no seeds means it forms a cluster of its own (the default).</summary>
public sealed record ClusterSettings(string Hostname = "127.0.0.1", int Port = 0, IReadOnlyList<string>? Seeds = null, string SystemName = "engine");

/// <summary>Starts this node's Akka cluster member and waits until it is Up.</summary>
public static class EngineCluster
{
    public static async Task<ActorSystem> StartAsync(ClusterSettings settings, CancellationToken cancellationToken)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = WARNING
              actor.provider = cluster
              remote.dot-netty.tcp { hostname = "{{settings.Hostname}}", port = {{settings.Port}} }
              cluster.min-nr-of-members = 1
              # SIGTERM is handled by the host (Cli/ShutdownSignals -> EngineNode.StopAsync, which runs coordinated shutdown).
              coordinated-shutdown.run-by-clr-shutdown-hook = off
              cluster.run-coordinated-shutdown-when-down = on
            }
            """);
        var system = ActorSystem.Create(settings.SystemName, config);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var seeds = settings.Seeds is { Count: > 0 } s ? s.Select(Address.Parse).ToList() : [cluster.SelfAddress];
        await cluster.JoinSeedNodesAsync(seeds, cancellationToken);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return system;
    }
}
