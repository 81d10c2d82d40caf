using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Coordination;
using Engine.Host.Node;
using Engine.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Cluster;

/// <summary>
/// The split-brain resolver's lease in Redis (<see cref="RedisLease"/>), and what it buys: a cluster of two survives the
/// crash of its oldest node.
/// </summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class RedisLeaseTests(ITestOutputHelper output) : IDisposable
{
    // Long enough that a stall of the test process (Garnet runs in it) does not let a held lease expire.
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200), Ttl = TimeSpan.FromSeconds(3);
    private readonly RedisFixture _redis = new();
    private readonly List<ActorSystem> _systems = [];

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task One_owner_at_a_time_holds_the_lease_and_a_release_lets_the_next_take_it(RedisKind kind)
    {
        var prefix = RedisFixture.UniquePrefix("lease");
        var (first, second) = (Lease(kind, prefix, "node-1"), Lease(kind, prefix, "node-2"));

        Assert.True(await first.Acquire());
        Assert.True(await first.Acquire()); // its own, again
        Assert.False(await second.Acquire());
        Assert.True(first.CheckLease());
        Assert.False(second.CheckLease());

        Assert.True(await first.Release());
        Assert.False(first.CheckLease());
        Assert.True(await second.Acquire());
    }

    /// <summary>A holder's renewals keep the lease past its TTL; a holder that stops renewing (crashed) frees it one TTL later.</summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_renewed_lease_outlives_its_ttl_and_a_crashed_holders_lease_frees_itself(RedisKind kind)
    {
        var prefix = RedisFixture.UniquePrefix("lease");
        var (holder, other) = (Lease(kind, prefix, "node-1"), Lease(kind, prefix, "node-2"));
        Assert.True(await holder.Acquire());

        await Task.Delay(Ttl * 2);
        Assert.False(await other.Acquire());
        Assert.True(holder.CheckLease());

        // A crash: its actor system stops, and nothing renews the lease any more; it expires one TTL after the last renewal.
        await _systems[0].Terminate();
        Assert.False(await other.Acquire());
        await Task.Delay(Ttl + Interval * 2);
        Assert.True(await other.Acquire());
    }

    /// <summary>A holder learns through the callback that it lost the lease (another owner holds it now), and gives back only its own.</summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_holder_that_lost_its_lease_is_told_and_its_release_leaves_the_new_owners_lease_alone(RedisKind kind)
    {
        var prefix = RedisFixture.UniquePrefix("lease");
        var holder = Lease(kind, prefix, "node-1");
        var lost = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(await holder.Acquire(e => lost.TrySetResult(e)));

        var db = _redis.Connect(kind).GetDatabase();
        await db.StringSetAsync(prefix + "sbr", "node-2", Ttl);

        var error = await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine(error.Message);
        Assert.Contains("no longer held by node-1", error.Message);
        Assert.False(holder.CheckLease());
        // Done with it (the resolver asks again each second until a release says so), and node-2's lease stays.
        Assert.True(await holder.Release());
        Assert.Equal("node-2", (string?)await db.StringGetAsync(prefix + "sbr"));
    }

    /// <summary>
    /// Redis stops answering the holder's renewals (paused) for longer than the TTL, and the renewal waits (a Redis and
    /// operation timeout longer than the TTL, as 5 s against a short TTL can be): the lease stops counting as held by the
    /// clock, before the key can have expired, so the resolver never acts on a lease the other side may already hold.
    /// </summary>
    [Fact]
    public async Task A_lease_whose_renewals_go_unconfirmed_stops_counting_as_held_before_it_can_expire()
    {
        var prefix = RedisFixture.UniquePrefix("lease");
        var patient = RedisFixture.Options(_redis.Endpoint(RedisKind.RedisServer));
        (patient.AsyncTimeout, patient.SyncTimeout, patient.AllowAdmin) = (15_000, 15_000, true);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(patient);
        await using var operatorConnection = await ConnectionMultiplexer.ConnectAsync(patient);
        // Renewed each second with a 5 s TTL: it stops counting as held 3 s after its last renewal, 2 s before the key can expire.
        var ttl = TimeSpan.FromSeconds(5);
        var holder = Lease(connection.GetDatabase(), prefix, "node-1", TimeSpan.FromSeconds(15), ttl, TimeSpan.FromSeconds(1));
        Assert.True(await holder.Acquire());
        var db = operatorConnection.GetDatabase();

        await db.ExecuteAsync("CLIENT", "PAUSE", (int)(ttl * 2).TotalMilliseconds, "WRITE");
        var paused = DateTime.UtcNow;
        await Until(() => !holder.CheckLease(), ttl, "the lease no longer counted as held");
        var ttlLeft = await db.KeyTimeToLiveAsync(prefix + "sbr");
        output.WriteLine($"not held after {(DateTime.UtcNow - paused).TotalSeconds:N1} s; the key still lives {ttlLeft?.TotalSeconds:N1} s");
        Assert.True(ttlLeft > TimeSpan.Zero, "the key expired before the lease stopped counting as held");
        await db.ExecuteAsync("CLIENT", "UNPAUSE");
    }

    /// <summary>
    /// Two nodes, and the oldest crashes: the survivor takes the lease and downs it. Under keep-oldest (the strategy before
    /// 2026-12-06, and still without Redis) the survivor downed itself, and the engine stopped until the oldest came back.
    /// </summary>
    [Fact]
    public async Task The_younger_of_two_nodes_survives_the_crash_of_the_oldest()
    {
        var db = _redis.Connect(RedisKind.Garnet).GetDatabase();
        var prefix = RedisFixture.UniquePrefix("downing");
        var (oldest, younger) = await TwoNodes(db, prefix);
        var cluster = Akka.Cluster.Cluster.Get(younger);

        await oldest.Terminate(); // an abort: what a crash looks like to the others
        var crashed = DateTime.UtcNow;
        await Until(() => younger.WhenTerminated.IsCompleted || (cluster.State.Members.Count == 1 && cluster.State.Unreachable.Count == 0),
            TimeSpan.FromSeconds(60), "the crashed node downed");

        output.WriteLine($"after {(DateTime.UtcNow - crashed).TotalSeconds:N1} s: members {string.Join(", ", cluster.State.Members.Select(m => $"{m.Address} {m.Status}"))}");
        Assert.False(younger.WhenTerminated.IsCompleted, "the survivor downed itself");
        Assert.Equal([cluster.SelfAddress], cluster.State.Members.Select(m => m.Address));
        Assert.Equal(Akka.Cluster.MemberStatus.Up, cluster.SelfMember.Status);
        Assert.Equal(cluster.SelfAddress.HostPort(), (string?)await db.StringGetAsync(prefix + "lease:engine-akka-sbr"));
    }

    /// <summary>The lease decides: with another owner holding it, the younger of two downs itself when the oldest crashes.</summary>
    [Fact]
    public async Task Without_the_lease_the_younger_of_two_downs_itself_when_the_oldest_crashes()
    {
        var db = _redis.Connect(RedisKind.Garnet).GetDatabase();
        var prefix = RedisFixture.UniquePrefix("downing");
        var (oldest, younger) = await TwoNodes(db, prefix);
        await db.StringSetAsync(prefix + "lease:engine-akka-sbr", "someone-else:4053", TimeSpan.FromMinutes(2));

        await oldest.Terminate();
        await younger.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task<(ActorSystem Oldest, ActorSystem Younger)> TwoNodes(IDatabase db, string prefix)
    {
        var members = new ClusterMembers(db, ClusterMembers.Key(prefix, "engine"));
        var lease = new RedisLeaseSetup(db, prefix + "lease:");
        var stableAfter = TimeSpan.FromSeconds(2);
        var oldest = await EngineCluster.StartAsync(new ClusterSettings(DowningStableAfter: stableAfter), CancellationToken.None, members, lease);
        _systems.Add(oldest);
        var younger = await EngineCluster.StartAsync(new ClusterSettings(Seeds: [Akka.Cluster.Cluster.Get(oldest).SelfAddress.ToString()], DowningStableAfter: stableAfter),
            CancellationToken.None, members, lease);
        _systems.Add(younger);
        var cluster = Akka.Cluster.Cluster.Get(younger);
        await Until(() => cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) == 2, TimeSpan.FromSeconds(30), "both up");
        return (oldest, younger);
    }

    private RedisLease Lease(RedisKind kind, string prefix, string owner) => Lease(_redis.Connect(kind).GetDatabase(), prefix, owner, TimeSpan.FromSeconds(5), Ttl, Interval);

    private RedisLease Lease(IDatabase redis, string prefix, string owner, TimeSpan operationTimeout, TimeSpan ttl, TimeSpan interval)
    {
        var system = ActorSystem.Create("lease", ActorSystemSetup.Create(new RedisLeaseSetup(redis, prefix)));
        _systems.Add(system);
        var timeouts = new TimeoutSettings(interval, ttl, operationTimeout)
            .WithHeartbeatInterval(interval).WithHeartbeatTimeout(ttl).withOperationTimeout(operationTimeout);
        return new RedisLease(new LeaseSettings("sbr", owner, timeouts, Config.Empty), (ExtendedActorSystem)system);
    }

    private static async Task Until(Func<bool> condition, TimeSpan limit, string what)
    {
        for (var deadline = DateTime.UtcNow + limit; !condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {limit}: {what}");
    }

    public void Dispose()
    {
        Task.WhenAll(_systems.Select(s => s.Terminate())).Wait(TimeSpan.FromSeconds(30));
        _redis.Dispose();
    }
}
