using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;

namespace Engine.Host.Node;

/// <summary>Where this node listens and whom it joins: no seeds means it forms a cluster of its own (the default).</summary>
/// <param name="DowningStableAfter">
/// How long the cluster view must stay unchanged before the split-brain resolver downs unreachable nodes (Akka's default 20 s).
/// </param>
/// <param name="Logs">
/// Where Akka's own log lines go (pipeline failures, cluster membership, downing, shutdown: what docs/operations.md tells the
/// on-call engineer to look for): through this factory, so they follow <c>Logging:Console:FormatterName</c> (JSON) like
/// the host's; null: Akka's plain-text stdout logger (tests, the bench).
/// </param>
/// <param name="LogLevel">Akka's level (DEBUG, INFO, WARNING, ERROR, OFF): <c>Logging:LogLevel:Akka</c> for <c>run</c>.</param>
public sealed record ClusterSettings(
    string Hostname = "127.0.0.1",
    int Port = 0,
    IReadOnlyList<string>? Seeds = null,
    string SystemName = "engine",
    TimeSpan? DowningStableAfter = null,
    Microsoft.Extensions.Logging.ILoggerFactory? Logs = null,
    string LogLevel = "WARNING",
    TimeSpan? JoinTimeout = null)
{
    /// <summary>How long a node waits to be up in the cluster before it gives up, exit 3 (default 60 s).</summary>
    public TimeSpan EffectiveJoinTimeout => JoinTimeout ?? TimeSpan.FromSeconds(60);
}

/// <summary>Starts this node's Akka cluster member and waits until it is Up.</summary>
public static class EngineCluster
{
    public static async Task<ActorSystem> StartAsync(ClusterSettings settings, CancellationToken cancellationToken)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{settings.LogLevel}}
              {{(settings.Logs is null ? "" : "loggers = [\"Akka.Hosting.Logging.LoggerFactoryLogger, Akka.Hosting\"]")}}
              actor.provider = cluster
              remote.dot-netty.tcp { hostname = "{{settings.Hostname}}", port = {{settings.Port}} }
              cluster.min-nr-of-members = 1
              # A shard moves to the node that was just assigned its partition at the next rebalance tick (default 10 s).
              cluster.sharding.rebalance-interval = 2s
              # Read by ExternalShardAllocation's client, which no default configuration sets (0 fails every update).
              cluster.sharding.external-shard-allocation-strategy.client-timeout = 5s
              # SIGTERM is handled by the host (Cli/ShutdownSignals -> EngineNode.StopAsync, which runs coordinated shutdown).
              coordinated-shutdown.run-by-clr-shutdown-hook = off
              cluster.run-coordinated-shutdown-when-down = on
              # Terminate() is an abort (what a crash looks like to the others); leaving goes through StopAsync or SIGTERM.
              coordinated-shutdown.run-by-actor-system-terminate = off
              # Downing: keep-oldest, because the engine runs as few as two nodes. Two nodes cannot tell a crashed peer from
              # a partition; keep-majority (Akka's default) then keeps the side with the lower address, whichever crashed,
              # while keep-oldest keeps the oldest node (where the shard coordinator lives), so a crash of any younger node
              # is survived; a crash of the oldest takes the cluster down (restart it). down-if-alone: from three nodes
              # on, an oldest node cut off alone downs itself and the others go on. docs/operations.md has the trade-offs.
              cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
              cluster.split-brain-resolver {
                active-strategy = keep-oldest
                keep-oldest.down-if-alone = on
                stable-after = {{(int)(settings.DowningStableAfter ?? TimeSpan.FromSeconds(20)).TotalMilliseconds}}ms
              }
            }
            """)
            // Sharding and its distributed data (shard locations) from the start: a peer's first gossip must deserialize.
            .WithFallback(Engine.Actors.Sharding.EntityMessageSerializer.Config)
            .WithFallback(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig())
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        if (settings.Logs is { } logs) setup = setup.And(new Akka.Hosting.Logging.LoggerFactorySetup(logs));
        var system = ActorSystem.Create(settings.SystemName, setup);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var seeds = settings.Seeds is { Count: > 0 } s ? s.Select(Address.Parse).ToList() : [cluster.SelfAddress];
        // Not JoinSeedNodesAsync: its task completes only once the member is up, so a wait on it never timed out (a node whose
        // seeds never answered hung at start, healthy to its supervisor, instead of exiting 3).
        cluster.JoinSeedNodes(seeds);
        try
        {
            await up.Task.WaitAsync(settings.EffectiveJoinTimeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await system.Terminate(); // stopped while joining
            throw;
        }
        catch (TimeoutException)
        {
            await system.Terminate();
            // A seed down (restarting) or an address the others cannot reach (the default hostname is loopback, and port 0 picks a
            // random one): exit 3, to be started again, as a wrong setting's exit 2 would tell a supervisor not to.
            throw new Configuration.StartupUnavailable(
                $"this node ({cluster.SelfAddress}) did not join the cluster within {settings.EffectiveJoinTimeout.TotalSeconds:N0} s (seeds: {string.Join(", ", seeds)}): " +
                "check that a seed runs and that this node is reachable at that address (Cluster:Hostname an address the other nodes reach, " +
                "not 127.0.0.1 across machines; Cluster:Port fixed and open, the same one the seeds list for this node if it is a seed).");
        }
        return system;
    }
}
