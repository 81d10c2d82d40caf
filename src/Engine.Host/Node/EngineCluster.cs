using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;
using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>Where this node listens and whom it joins: without seeds it joins the members Redis knows of, or forms the cluster (<see cref="ClusterMembers"/>).</summary>
/// <param name="DowningStableAfter">
/// How long the cluster view must stay unchanged before the split-brain resolver downs unreachable nodes (Akka's default 20 s).
/// </param>
/// <param name="Logs">
/// Where Akka's own log lines go (pipeline failures, cluster membership, downing, shutdown: what docs/operations.md tells the
/// on-call engineer to look for): through this factory, so they follow <c>Logging:Console:FormatterName</c> (JSON) like
/// the host's; null: Akka's plain-text stdout logger (tests, the bench).
/// </param>
/// <param name="JoinRefusal">
/// Why this node must stay alone (a setting safe only for a single node, such as a short Kafka session timeout): a node
/// without seeds that finds live members in Redis then refuses to start (exit 2) instead of joining them.
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
    TimeSpan? JoinTimeout = null,
    string? JoinRefusal = null)
{
    /// <summary>How long a node waits to be up in the cluster before it gives up, exit 3 (default 60 s).</summary>
    public TimeSpan EffectiveJoinTimeout => JoinTimeout ?? TimeSpan.FromSeconds(60);
}

/// <summary>Starts this node's Akka cluster member and waits until it is Up.</summary>
public static class EngineCluster
{
    /// <param name="members">
    /// Where the members announce themselves (Redis). With it, a node joins the live members it finds there, and may form a
    /// cluster of its own (as the first seed, or without seeds) only when there are none: a node without seeds finds the
    /// others by itself, and a first seed restarted while the others live out of its reach (a partition) waits for them
    /// instead of forming a second cluster on the same Kafka group. Null: the configured seeds alone, as Akka joins them.
    /// </param>
    /// <param name="lease">Where the split-brain resolver's lease lives (Redis): lease-majority instead of keep-oldest (<see cref="Downing"/>).</param>
    public static async Task<ActorSystem> StartAsync(ClusterSettings settings, CancellationToken cancellationToken, ClusterMembers? members = null,
        RedisLeaseSetup? lease = null)
    {
        var system = CreateSystem(settings, lease);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        var self = cluster.SelfAddress;
        var configured = settings.Seeds is { Count: > 0 } s ? s.Select(Address.Parse).ToList() : [];
        var deadline = DateTime.UtcNow + settings.EffectiveJoinTimeout;
        var plan = new JoinPlan(configured.Count > 0 ? configured : [self], [], Forming: false);
        try
        {
            if (members is not null) plan = await PlanAsync(members, self, configured, settings.JoinRefusal, deadline, cancellationToken);
            // Not JoinSeedNodesAsync: its task completes only once the member is up, so a wait on it never timed out (a node whose
            // seeds never answered hung at start, healthy to its supervisor, instead of exiting 3).
            cluster.JoinSeedNodes(plan.Seeds);
            await up.Task.WaitAsync(Remaining(deadline), cancellationToken);
            if (members is not null) await AnnounceAsync(members, system, cluster, alone: settings.JoinRefusal is not null);
            return system;
        }
        catch (Exception e) when (e is OperationCanceledException or Configuration.ConfigurationError or Configuration.StartupUnavailable)
        {
            await system.Terminate(); // stopped while joining, or refusing to join (before 2026-12-07 a refusal for now left it running, its port bound)
            throw;
        }
        catch (RedisServerException e) when (members is not null && RedisRefusal.ForGood(e))
        {
            await system.Terminate();
            // Rights or a key another program wrote last until fixed: exit 2, not the "did not answer" of exit 3 (restarted for ever).
            throw new Configuration.ConfigurationError([$"Redis refused this node's look for its cluster's members ({RedisRefusal.Code(e)} on " +
                $"{members.KeyName} or a key beside it): grant Redis:User read and write on the keys under Redis:KeyPrefix (cluster keys included), " +
                "or remove what another program wrote there."]);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            await system.Terminate();
            throw new Configuration.StartupUnavailable($"Redis did not answer, or refused for now, while this node looked for its cluster's members there: {e.Message}");
        }
        catch (TimeoutException)
        {
            await system.Terminate();
            // A seed down (restarting) or an address the others cannot reach (the default hostname is loopback, and port 0 picks a
            // random one): exit 3, to be started again, as a wrong setting's exit 2 would tell a supervisor not to.
            throw new Configuration.StartupUnavailable(
                $"this node ({self}) did not join the cluster within {settings.EffectiveJoinTimeout.TotalSeconds:N0} s (seeds: {string.Join(", ", plan.Seeds)}): " +
                (plan.Live.Count > 0
                    ? $"members of its cluster are live (Redis heard {string.Join(", ", plan.Live)} within the last seconds) but did not answer it, " +
                      "as across a network partition; it does not form a cluster of its own beside them (two clusters would decide for the same users). " +
                      "Check that the nodes reach each other at these addresses, "
                    : "check that a seed runs and that this node is reachable at that address, ") +
                "with Cluster:Hostname an address the other nodes reach, not 127.0.0.1 across machines, and Cluster:Port fixed and open, " +
                "the same one the seeds list for this node if it is a seed.");
        }
        finally
        {
            // Announced by now (the next node finds this one among the members), or failed: either way the next may form.
            if (plan.Forming) await ReleaseFormingAsync(members!, self);
        }
    }

    /// <summary>Whom to join, which members Redis showed live, and whether this node holds the claim to form a new cluster.</summary>
    private sealed record JoinPlan(IReadOnlyList<Address> Seeds, IReadOnlyList<Address> Live, bool Forming);

    private static async Task<JoinPlan> PlanAsync(ClusterMembers members, Address self, List<Address> configured, string? refusal,
        DateTime deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var seen = await members.LookAsync(self, cancellationToken);
            // Beside live members, never a cluster of its own: this node is not the first of the seeds it joins.
            if (seen.Live.Count > 0 && refusal is not null)
                throw new Configuration.ConfigurationError([$"{refusal} This node has no seeds, and Redis heard members of its cluster " +
                                                            $"({string.Join(", ", seen.Live)}): it would join them."]);
            // A member running with a setting safe only alone was never meant to be joined: its shards would outlive its Kafka
            // partitions after a crash (the refusal above, seen from the other side).
            if (seen.Alone.Count > 0)
                throw new Configuration.ConfigurationError([$"Redis heard {string.Join(", ", seen.Alone)} live, running with a setting safe only for a node " +
                                                            "alone (a Kafka session timeout shorter than the cluster's downing): this node would join it. " +
                                                            "Restart that node without the setting before adding nodes, or give this one another Kafka:GroupId."]);
            // One whose entry stood still may have crashed, or be live with its beats held up: neither joined nor formed beside
            // (two clusters on one group). Its entry is gone now: the next start forms the cluster if it crashed, or refuses if it beats.
            if (seen.SilentAlone.Count > 0)
                throw new Configuration.StartupUnavailable($"Redis knew {string.Join(", ", seen.SilentAlone)}, running with a setting safe only for a node alone, " +
                                                           "whose entry stood still: if it crashed, the next start forms the cluster; if it is live, restart it without " +
                                                           "that setting before adding nodes.");
            if (seen.Live.Count > 0) return new(Union(seen.Live, configured.Where(a => !a.Equals(self)), seen.Silent), seen.Live, Forming: false);
            // A node that must stay alone cannot ask members whose entries stood still (it would join them if one answered), nor
            // form beside them (one may be live, its beats held up: two clusters on one group; before 2026-12-08 it formed,
            // review). Their entries are gone now: the next start forms the cluster if they crashed.
            if (refusal is not null && seen.Silent.Count > 0)
                throw new Configuration.StartupUnavailable($"Redis knew {string.Join(", ", seen.Silent)} as members of this node's cluster, whose entries " +
                                                           "stood still: this node, which must run alone, does not form a cluster beside them. If they " +
                                                           $"crashed, the next start forms it; if they are live, {refusal}");
            // Silent members are asked too (a live one's beats may be held up): a first seed forms a cluster only once no seed answered.
            var seeds = Union(configured.Count > 0 ? configured : [self], seen.Silent);
            if (!seeds[0].Equals(self)) return new(seeds, [], Forming: false);
            // The first seed, or a node without seeds: claim the forming, so that two nodes that found no member do not both form one.
            var hold = Remaining(deadline);
            if (hold < members.Beat && await members.FormingClaimAsync() is var (holder, left))
                // Not the seeds' fault: another node's claim (one that crashed while it formed holds it until it expires).
                throw new Configuration.StartupUnavailable(
                    $"this node ({self}) found no member of its cluster and waited to form one, but {holder} held the claim to form it " +
                    $"for the whole join timeout (key {members.FormingKeyName}, {(left is { } l ? $"expires in {l.TotalSeconds:N0} s" : "no expiry")}): " +
                    "if that node is no longer starting (it crashed while it formed the cluster), the claim expires by itself and the next start forms it.");
            if (hold < members.Beat) throw new TimeoutException();
            if (await members.TryFormAsync(self, hold)) return new(seeds, [], Forming: true);
            await Task.Delay(members.Beat, cancellationToken); // another node is forming the cluster: its entry appears once it is up
        }
    }

    private static List<Address> Union(params IEnumerable<Address>[] lists) => lists.SelectMany(l => l).Distinct().ToList();

    /// <summary>The first entry now (before the claim to form is given back), the next each beat until this member is removed or its system stops.</summary>
    private static async Task AnnounceAsync(ClusterMembers members, ActorSystem system, Cluster cluster, bool alone)
    {
        try
        {
            await members.BeatAsync(cluster.SelfAddress, alone);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The next beat writes it: an up member does not fail for its entry (until then, a node starting without seeds misses it).
        }
        var stop = new CancellationTokenSource();
        cluster.RegisterOnMemberRemoved(stop.Cancel);
        _ = system.WhenTerminated.ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
        _ = members.AnnounceAsync(cluster.SelfAddress, stop.Token, alone);
    }

    private static async Task ReleaseFormingAsync(ClusterMembers members, Address self)
    {
        try
        {
            await members.ReleaseFormingAsync(self);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Expires by itself (it was held for the join timeout at most).
        }
    }

    private static TimeSpan Remaining(DateTime deadline) => deadline - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero;

    /// <summary>
    /// The split-brain resolver's strategy. With a lease in Redis, lease-majority: of two sides that no longer see each
    /// other, the one that takes the lease goes on (the majority tries first) and the other downs itself, so a cluster of
    /// two survives the crash of either node and never keeps both halves of an even split. Without one, keep-oldest,
    /// because the engine runs as few as two nodes: keep-majority (Akka's default) keeps the side with the lower address
    /// whichever crashed, while keep-oldest survives the crash of any younger node, and down-if-alone lets three or more
    /// go on without an oldest node cut off alone. docs/operations.md has the trade-offs.
    /// </summary>
    private static string Downing(bool leased) => leased
        ? """
          active-strategy = lease-majority
          lease-majority.lease-implementation = akka.coordination.redis-lease
          """
        : """
          active-strategy = keep-oldest
          keep-oldest.down-if-alone = on
          """;

    private static ActorSystem CreateSystem(ClusterSettings settings, RedisLeaseSetup? lease)
    {
        var stableAfter = settings.DowningStableAfter ?? TimeSpan.FromSeconds(20);
        var leaseTtl = stableAfter < TimeSpan.FromSeconds(20) ? stableAfter : TimeSpan.FromSeconds(20);
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
              cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
              cluster.split-brain-resolver {
                {{Downing(lease is not null)}}
                stable-after = {{(int)stableAfter.TotalMilliseconds}}ms
              }
              coordination.redis-lease {
                lease-class = "{{typeof(RedisLease).FullName}}, {{typeof(RedisLease).Assembly.GetName().Name}}"
                # How long a crashed holder's lease outlives it: at most stable-after, so it has expired by the time the
                # survivors decide (a holder that crashed soon after a decision would otherwise have them down themselves).
                heartbeat-timeout = {{(int)leaseTtl.TotalMilliseconds}}ms
                heartbeat-interval = {{(int)(leaseTtl / 10).TotalMilliseconds}}ms
                lease-operation-timeout = 5s
              }
            }
            """)
            // Sharding and its distributed data (shard locations) from the start: a peer's first gossip must deserialize.
            .WithFallback(Engine.Actors.Sharding.EntityMessageSerializer.Config)
            .WithFallback(Akka.Cluster.Sharding.ClusterSharding.DefaultConfig())
            .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        if (settings.Logs is { } logs) setup = setup.And(new Akka.Hosting.Logging.LoggerFactorySetup(logs));
        if (lease is not null) setup = setup.And(lease);
        return ActorSystem.Create(settings.SystemName, setup);
    }
}
