using Akka.Actor;
using Akka.Cluster.Sharding;
using Engine.Actors.Campaigns;
using Engine.Actors.Features;
using Engine.Actors.Sharding;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Decisions;
using Engine.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Cluster;

/// <summary>
/// Two engine nodes in one process on loopback, sharing the embedded Kafka and Garnet: the partitions split
/// between them, one crashes, and the other takes over its partitions and entities with nothing lost.
/// </summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class TwoNodeTakeoverTests(ITestOutputHelper output)
{
    private const int Partitions = 4, Users = 40;
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    // The split-brain resolver downs the crashed node once the cluster view has been stable this long (20 s in production).
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task The_survivor_takes_over_a_crashed_nodes_partitions_and_entities_with_no_event_lost_and_features_intact()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var infrastructure = await Infrastructure.StartAsync(null, null, Partitions);
        var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
        var models = DemoModels.Load(modelsDirectory);
        var survivor = await EngineNode.StartAsync(Settings(infrastructure, modelsDirectory, new ClusterSettings(DowningStableAfter: StableAfter)),
            models, new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        var seed = Akka.Cluster.Cluster.Get(survivor.System).SelfAddress.ToString();
        var victim = await EngineNode.StartAsync(Settings(infrastructure, modelsDirectory, new ClusterSettings(Seeds: [seed], DowningStableAfter: StableAfter)),
            models, new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        var victimAddress = Akka.Cluster.Cluster.Get(victim.System).SelfAddress;
        using var log = new ClickLog(infrastructure.KafkaBootstrap, Users, T0);

        // The first events, processed by both nodes once the consumer group has split the partitions between them: the
        // victim's start can outlast the group's first join (3 s), and the survivor, alone in it, took all 400 before the split.
        await Until(() => ShardsPlacedOn(survivor.System, victimAddress).Count > 0, TimeSpan.FromSeconds(60));
        log.ProduceNext(400);
        await Until(() => log.Committed("engine", Partitions) >= log.Events.Count, TimeSpan.FromSeconds(90));
        // The victim's partitions: the user shards placed on it (each node places the shards of the partitions it is assigned).
        var victimPartitions = new HashSet<string>();
        await Until(() => (victimPartitions = ShardsPlacedOn(survivor.System, victimAddress)).Count > 0, TimeSpan.FromSeconds(30));
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] split: survivor consumed {survivor.UserCounters.Consumed}, victim {victim.UserCounters.Consumed}; " +
                         $"user shards placed on the victim [{string.Join(",", victimPartitions)}]; the victim hosts [{string.Join(",", await HostedShards(victim.System))}]");
        Assert.True(victim.UserCounters.Consumed > 0, "the victim consumed none of the partitions");
        Assert.NotEmpty(victimPartitions);
        // Shards follow their partitions: the coordinator hands the victim's shards over at its next rebalance, after
        // which their entities live where their events are consumed (no cross-node hop). Entities start on the next events.
        IReadOnlyList<string> victimHosts = [];
        await Until(async () => (victimHosts = await HostedShards(victim.System)).Count >= victimPartitions.Count, TimeSpan.FromSeconds(30),
            () => log.ProduceNext(20));
        await Until(() => log.Committed("engine", Partitions) >= log.Events.Count, TimeSpan.FromSeconds(60));
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] shards followed: the victim hosts [{string.Join(",", victimHosts)}]");
        Assert.Equal(victimPartitions.Order(), victimHosts);
        Assert.Empty((await HostedShards(survivor.System)).Intersect(victimPartitions));

        // The crash comes while the victim is at work: as soon as it has read the first of 2,000 new events (about 1,000 on
        // its partitions), it is halted, so what it read and had not committed is left for the survivor to replay. The cut
        // is counted once the crash has stopped its system: what it read this round less what it committed (no one else
        // can commit there yet: its consumers stay in the group for the session timeout below). Counted before the crash,
        // CI saw 0 twice: once the survivor had taken over and committed by then, once the crash let the victim commit
        // during its system's seconds-long shutdown.
        var victimKafkaPartitions = victimPartitions.Select(int.Parse).ToList();
        var (consumedBefore, committedBefore) = (victim.UserCounters.Consumed, log.Committed("engine", victimKafkaPartitions));
        log.ProduceNext(2000);
        await Until(() => victim.UserCounters.Consumed > consumedBefore, TimeSpan.FromSeconds(30), poll: TimeSpan.FromMilliseconds(5));
        // As in production, Kafka's session timeout outlasts Akka's downing (failure detection + stable-after), so the
        // survivor is given the victim's partitions once the victim's shards can move.
        var crash = victim.CrashAsync(kafkaSessionTimeout: TimeSpan.FromSeconds(15));
        await Task.WhenAny(crash, victim.System.WhenTerminated).WaitAsync(TimeSpan.FromSeconds(60));
        var read = victim.UserCounters.Consumed - consumedBefore;
        var committed = log.Committed("engine", victimKafkaPartitions) - committedBefore;
        await crash;
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] victim crashed having read {read} new events and committed {committed}");
        Assert.True(read > committed, "the crash hit no uncommitted work");
        log.ProduceNext(200);

        var cluster = Akka.Cluster.Cluster.Get(survivor.System);
        await Until(() => log.Committed("engine", Partitions) >= log.Events.Count, TimeSpan.FromSeconds(120));
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] survivor committed all {log.Events.Count} events; pipeline restarts {survivor.PipelineRestarts}; " +
                         $"members now [{string.Join(", ", cluster.State.Members.Select(m => $"{m.Address.Port}:{m.Status}"))}]");

        // The crashed node was downed and removed; its shards and their entities now live on the survivor.
        Assert.DoesNotContain(cluster.State.Members, m => m.Address == victimAddress);
        var survivorShards = await HostedShards(survivor.System);
        output.WriteLine($"survivor now hosts user shards [{string.Join(",", survivorShards)}]");
        Assert.True(victimPartitions.IsSubsetOf(survivorShards), "the victim's shards did not move to the survivor");
        Assert.Equal(log.Events.Count, log.Committed("engine", Partitions));
        await survivor.StopAsync();

        // Nothing lost, nothing counted twice: every user's features in Redis are what the event log implies.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisEndpoint);
        var users = await log.AssertFeaturesMatchAsync(new FeatureStore(redis, new FeatureStoreOptions(), new FeatureMetrics()));
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] features of all {users} users match the reference recomputed from the log");
    }

    private static EngineNodeSettings Settings(Infrastructure infrastructure, string models, ClusterSettings cluster) =>
        new(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, models, Partitions, cluster, KafkaClient: FastGroup);

    // A live member slow to rejoin a rebalance (the survivor, busy) is dropped after this, not after the default 45 s.
    private static readonly Dictionary<string, string> FastGroup = new() { ["session.timeout.ms"] = "15000", ["heartbeat.interval.ms"] = "1000" };

    /// <summary>The user shards this node hosts (one per Kafka partition its consumer owns, once events arrived).</summary>
    private static async Task<IReadOnlyList<string>> HostedShards(ActorSystem system)
    {
        var state = await ClusterSharding.Get(system).ShardRegion(EntityShards.Users)
            .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
        return state.Shards.Where(s => s.EntityIds.Count > 0).Select(s => s.ShardId).Order().ToList();
    }

    private static HashSet<string> ShardsPlacedOn(ActorSystem system, Address node)
    {
        var locations = Akka.Cluster.Sharding.External.ExternalShardAllocation.Get(system).ClientFor(EntityShards.Users).ShardLocations()
            .WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        return locations.Locations.Where(l => l.Value.Address == node).Select(l => l.Key).ToHashSet();
    }

    private static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, Action? meanwhile = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached in " + timeout);
            meanwhile?.Invoke();
            await Task.Delay(1000);
        }
    }

    private static async Task Until(Func<bool> condition, TimeSpan timeout, Action? meanwhile = null, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached in " + timeout);
            meanwhile?.Invoke();
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
