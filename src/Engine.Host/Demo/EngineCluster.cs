using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;

namespace Engine.Host.Demo;

/// <summary>A one-node Akka cluster on loopback (the default; several nodes come with <c>run</c> and seed nodes).</summary>
public static class EngineCluster
{
    public static async Task<ActorSystem> StartSingleNodeAsync(string name, CancellationToken cancellationToken)
    {
        var config = ConfigurationFactory.ParseString("""
            akka {
              loglevel = WARNING
              actor.provider = cluster
              remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
              cluster.min-nr-of-members = 1
            }
            """);
        var system = ActorSystem.Create(name, config);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await cluster.JoinAsync(cluster.SelfAddress, cancellationToken);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        return system;
    }
}
