using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Engine.Host.Configuration;
using Engine.Host.Node;
using Engine.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Cluster;

/// <summary>
/// Nodes find their cluster's live members in Redis before they join (<see cref="ClusterMembers"/>): none forms a cluster
/// of its own beside a live one, which on a shared Kafka group would be a split brain.
/// </summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class ClusterMembersTests(ITestOutputHelper output) : IDisposable
{
    private readonly RedisFixture _redis = new();

    /// <summary>
    /// A member Redis hears, at an address nobody listens on, is a live cluster this node cannot reach (a partition). Before
    /// 2026-12-06 the first seed formed a cluster of its own once no other seed answered (5 s), and two clusters then
    /// shared the Kafka group. Once the member stops announcing itself (it left), the same start forms the cluster.
    /// </summary>
    [Fact]
    public async Task A_first_seed_restarted_while_its_cluster_lives_out_of_its_reach_does_not_form_a_cluster_of_its_own()
    {
        var members = Members(RedisKind.Garnet);
        var unreachable = OutOfReach;
        using var beating = new CancellationTokenSource();
        var announcing = await AnnounceAsync(members, unreachable, beating.Token);
        var port = FreePort();
        var settings = new ClusterSettings(Port: port, Seeds: [$"akka.tcp://engine@127.0.0.1:{port}", unreachable.ToString()], JoinTimeout: TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<StartupUnavailable>(() => EngineCluster.StartAsync(settings, CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine(error.Message);
        Assert.Contains($"Redis heard {unreachable} within the last seconds", error.Message);
        Assert.Contains("does not form a cluster of its own", error.Message);

        await beating.CancelAsync();
        await announcing;
        var system = await EngineCluster.StartAsync(settings, CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            Assert.Equal([Akka.Cluster.Cluster.Get(system).SelfAddress], Akka.Cluster.Cluster.Get(system).State.Members.Select(m => m.Address));
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>
    /// A node configured for staying alone (here a Kafka session timeout shorter than the cluster's downing, which start-up
    /// refuses only with seeds) that finds live members refuses to start (exit 2) instead of joining them.
    /// </summary>
    [Fact]
    public async Task A_node_whose_settings_are_safe_only_alone_refuses_to_join_the_members_it_finds()
    {
        var members = Members(RedisKind.Garnet);
        var live = OutOfReach;
        using var beating = new CancellationTokenSource();
        var announcing = await AnnounceAsync(members, live, beating.Token);
        var settings = new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30), JoinRefusal: "Kafka:Client:session.timeout.ms is 10000.");

        var error = await Assert.ThrowsAsync<ConfigurationError>(() => EngineCluster.StartAsync(settings, CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine(error.Message);
        Assert.Contains($"Kafka:Client:session.timeout.ms is 10000. This node has no seeds, and Redis heard members of its cluster ({live})", error.Message);
        await beating.CancelAsync();
        await announcing;
    }

    /// <summary>
    /// The other side of that refusal: a node running alone with such a setting was joined by the next node started without
    /// it (before 2026-12-07 only the joining node's own settings were checked), and after the lonely node's crash Kafka
    /// handed its partitions to the survivor before the cluster downed it. Its entry now says it runs alone, and a start
    /// that finds it live refuses (exit 2) instead of joining.
    /// </summary>
    [Fact]
    public async Task A_node_refuses_to_join_a_live_member_that_runs_with_settings_safe_only_alone()
    {
        var members = Members(RedisKind.Garnet);
        var lonely = await EngineCluster.StartAsync(
            new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30), JoinRefusal: "Kafka:Client:session.timeout.ms is 10000."),
            CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            var error = await Assert.ThrowsAsync<ConfigurationError>(() =>
                EngineCluster.StartAsync(new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30)), CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60)));
            output.WriteLine(error.Message);
            Assert.Contains($"Redis heard {Akka.Cluster.Cluster.Get(lonely).SelfAddress} live, running with a setting safe only for a node alone", error.Message);
            Assert.Single(Akka.Cluster.Cluster.Get(lonely).State.Members);
        }
        finally
        {
            await lonely.Terminate();
        }
    }

    /// <summary>
    /// A start that found no member waits while another node holds the claim to form the cluster; a claim left by a node that
    /// crashed while it formed holds until it expires. Such a start names the claim, its holder and its expiry: before
    /// 2026-12-07 it said to check that a seed runs and that this node is reachable, which sent the on-call engineer to the network.
    /// </summary>
    [Fact]
    public async Task A_start_that_waited_on_another_nodes_claim_to_form_the_cluster_names_the_claim()
    {
        var members = Members(RedisKind.Garnet, out var db, out var key);
        const string crashed = "akka.tcp://engine@127.0.0.1:2";
        await db.LockTakeAsync(key.Append(":forming"), crashed, TimeSpan.FromSeconds(60));
        var settings = new ClusterSettings(Port: FreePort(), JoinTimeout: TimeSpan.FromSeconds(4));

        var error = await Assert.ThrowsAsync<StartupUnavailable>(() => EngineCluster.StartAsync(settings, CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine(error.Message);
        Assert.Contains($"but {crashed} held the claim to form it for the whole join timeout (key {key}:forming, expires in", error.Message);

        // The refused start let its port go: before 2026-12-07 its actor system kept running, listening there.
        using var listener = new TcpListener(IPAddress.Loopback, settings.Port);
        listener.Start();
    }

    /// <summary>
    /// Redis refusing the members' keys for good (here WRONGTYPE: another program's string where the hash goes; an ACL's
    /// NOPERM alike) is a setting to fix, exit 2: before 2026-12-07 it read "Redis did not answer", exit 3, restarted for ever.
    /// </summary>
    [Fact]
    public async Task Redis_refusing_the_members_keys_for_good_stops_the_start_as_a_setting_to_fix()
    {
        var members = Members(RedisKind.Garnet, out var db, out var key);
        await db.StringSetAsync(key, "another program's value");

        var error = await Assert.ThrowsAsync<ConfigurationError>(() =>
            EngineCluster.StartAsync(new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(10)), CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine(error.Message);
        Assert.Contains($"Redis refused this node's look for its cluster's members (WRONGTYPE on {key}", error.Message);
    }

    /// <summary>
    /// A member running alone whose entry stands still (crashed, or live with its beats held up): never asked to be joined
    /// (it would answer) nor formed beside. The start exits 3 naming it, and its entry is gone: the next start forms the
    /// cluster (it crashed). Before 2026-12-07 its address was asked as a seed, and a live one was joined.
    /// </summary>
    [Fact]
    public async Task A_member_running_alone_whose_entry_stands_still_is_neither_joined_nor_formed_beside_once()
    {
        var members = Members(RedisKind.Garnet);
        var lonely = Address.Parse("akka.tcp://engine@127.0.0.1:2");
        await members.BeatAsync(lonely, alone: true); // once, never again

        var error = await Assert.ThrowsAsync<StartupUnavailable>(() =>
            EngineCluster.StartAsync(new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30)), CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60)));
        output.WriteLine(error.Message);
        Assert.Contains($"Redis knew {lonely}, running with a setting safe only for a node alone, whose entry stood still", error.Message);

        var system = await EngineCluster.StartAsync(new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30)), CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60));
        try
        {
            Assert.Single(Akka.Cluster.Cluster.Get(system).State.Members);
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>A node up, which beat once and never again.</summary>
    private static async Task<(ActorSystem System, Address Address)> BeatingOnceAsync(ClusterMembers members)
    {
        var quiet = await EngineCluster.StartAsync(new ClusterSettings(), CancellationToken.None);
        var address = Akka.Cluster.Cluster.Get(quiet).SelfAddress;
        await members.BeatAsync(address);
        return (quiet, address);
    }

    /// <summary>
    /// An entry that stands still is a member that crashed, or a live one whose beats are held up (a starved machine): the
    /// next start asks its address before it forms a cluster, joins it if it answers, and removes the entry. Here one
    /// silent entry is a live member's (written once, never again) and the other's process is gone (nothing listens there).
    /// </summary>
    [Fact]
    public async Task A_start_asks_the_members_whose_entries_stand_still_and_joins_the_one_that_answers()
    {
        var members = Members(RedisKind.Garnet, out var db, out var key);
        var (quiet, quietAddress) = await BeatingOnceAsync(members); // up, not announcing itself
        await members.BeatAsync(Address.Parse("akka.tcp://engine@127.0.0.1:1"));
        var started = DateTime.UtcNow;

        var system = await EngineCluster.StartAsync(new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30)), CancellationToken.None, members);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            output.WriteLine($"up after {(DateTime.UtcNow - started).TotalSeconds:N1} s; members {string.Join(", ", cluster.State.Members.Select(m => m.Address))}");
            Assert.Contains(cluster.State.Members, m => m.Address == quietAddress);
            Assert.Equal([cluster.SelfAddress.ToString()], (await db.HashKeysAsync(key)).Select(k => (string)k!));
        }
        finally
        {
            await Task.WhenAll(system.Terminate(), quiet.Terminate());
        }
    }

    /// <summary>
    /// A node that must run alone (a Kafka session timeout shorter than the cluster's downing) finds a member whose entry
    /// stood still: it may be live, its beats held up. Before 2026-12-08 the node formed a cluster beside it (two on one Kafka
    /// group; review). It refuses for now (exit 3); the entry is gone, so the next start forms the cluster.
    /// </summary>
    [Fact]
    public async Task A_node_that_must_run_alone_does_not_form_beside_a_member_whose_entry_stood_still()
    {
        var members = Members(RedisKind.Garnet);
        var (quiet, quietAddress) = await BeatingOnceAsync(members);
        try
        {
            var settings = new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30), JoinRefusal: "Kafka:Client:session.timeout.ms is 10000.");
            var error = await Assert.ThrowsAsync<StartupUnavailable>(() => EngineCluster.StartAsync(settings, CancellationToken.None, members).WaitAsync(TimeSpan.FromSeconds(60)));
            output.WriteLine(error.Message);
            Assert.Contains(quietAddress.ToString(), error.Message);

            var next = await EngineCluster.StartAsync(settings, CancellationToken.None, members); // its entry was removed by the look
            await next.Terminate();
        }
        finally
        {
            await quiet.Terminate();
        }
    }

    /// <summary>
    /// The members' hash expires a minute after its last beat: members cut off from Redis for longer left it empty, and
    /// before 2026-12-07 a node started then without seeds formed a second cluster beside them (review). The addresses
    /// heard within the day are asked first.
    /// </summary>
    [Fact]
    public async Task A_start_asks_the_members_heard_within_the_day_when_their_entries_expired()
    {
        var members = Members(RedisKind.Garnet, out var db, out var key);
        var (quiet, quietAddress) = await BeatingOnceAsync(members);
        await db.KeyDeleteAsync(key); // expired: no beat reached Redis for a minute: up, its entry gone

        var system = await EngineCluster.StartAsync(new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(30)), CancellationToken.None, members);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            output.WriteLine($"members {string.Join(", ", cluster.State.Members.Select(m => m.Address))}");
            Assert.Contains(cluster.State.Members, m => m.Address == quietAddress);
        }
        finally
        {
            await Task.WhenAll(system.Terminate(), quiet.Terminate());
        }
    }

    /// <summary>A claim to form is given back when a member was announced meanwhile, and one left by this address (a failed start) is taken over.</summary>
    [Fact]
    public async Task The_claim_to_form_yields_to_an_announced_member_and_to_a_restart_at_the_same_address()
    {
        var members = Members(RedisKind.Garnet);
        var (first, second) = (Address.Parse("akka.tcp://engine@10.0.0.1:4053"), Address.Parse("akka.tcp://engine@10.0.0.2:4053"));

        Assert.True(await members.TryFormAsync(first, TimeSpan.FromMinutes(1)));
        Assert.True(await members.TryFormAsync(first, TimeSpan.FromMinutes(1)));
        Assert.False(await members.TryFormAsync(second, TimeSpan.FromMinutes(1)));
        await members.BeatAsync(second);
        await members.ReleaseFormingAsync(first);
        Assert.False(await members.TryFormAsync(first, TimeSpan.FromMinutes(1)));
        Assert.True(await members.TryFormAsync(second, TimeSpan.FromMinutes(1)));
    }

    /// <summary>
    /// Nodes without seeds find each other through Redis, even started at the same moment (one claims the forming, the
    /// other waits for its entry); before 2026-12-06 each formed a cluster of its own. A member that leaves removes its entry.
    /// </summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Nodes_without_seeds_started_together_form_one_cluster_and_a_member_that_leaves_is_no_longer_announced(RedisKind kind)
    {
        var members = Members(kind, out var db, out var key);
        var settings = new ClusterSettings(JoinTimeout: TimeSpan.FromSeconds(60));
        var starts = new[] { EngineCluster.StartAsync(settings, CancellationToken.None, members), EngineCluster.StartAsync(settings, CancellationToken.None, members) };
        var systems = await Task.WhenAll(starts).WaitAsync(TimeSpan.FromSeconds(90));
        try
        {
            var (first, second) = (Akka.Cluster.Cluster.Get(systems[0]), Akka.Cluster.Cluster.Get(systems[1]));
            await Until(() => first.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2, TimeSpan.FromSeconds(30), "both members up");
            output.WriteLine($"members: {string.Join(", ", first.State.Members.Select(m => $"{m.Address} {m.Status}"))}");
            Assert.Contains(first.State.Members, m => m.Address == second.SelfAddress);

            await second.LeaveAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await UntilAsync(async () => (await db.HashKeysAsync(key)).Select(k => (string)k!).SequenceEqual([first.SelfAddress.ToString()]),
                TimeSpan.FromSeconds(15), "the leaver's entry removed");
        }
        finally
        {
            await Task.WhenAll(systems.Select(s => s.Terminate()));
        }
    }

    private ClusterMembers Members(RedisKind kind) => Members(kind, out _, out _);

    /// <summary>A member's address nothing listens on: announced, it is a live member this node cannot reach (a partition).</summary>
    private static readonly Address OutOfReach = Address.Parse("akka.tcp://engine@127.0.0.1:1");

    /// <summary>Announces <paramref name="member"/> as a member does (its first beat, then one a second) until <paramref name="stop"/>.</summary>
    private static async Task<Task> AnnounceAsync(ClusterMembers members, Address member, CancellationToken stop)
    {
        await members.BeatAsync(member);
        return members.AnnounceAsync(member, stop);
    }

    private ClusterMembers Members(RedisKind kind, out IDatabase db, out RedisKey key)
    {
        db = _redis.Connect(kind).GetDatabase();
        key = ClusterMembers.Key(RedisFixture.UniquePrefix("cluster"), "engine");
        return new ClusterMembers(db, key);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task Until(Func<bool> condition, TimeSpan limit, string what) => await UntilAsync(() => Task.FromResult(condition()), limit, what);

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        for (var deadline = DateTime.UtcNow + limit; !await condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {limit}: {what}");
    }

    public void Dispose() => _redis.Dispose();
}
