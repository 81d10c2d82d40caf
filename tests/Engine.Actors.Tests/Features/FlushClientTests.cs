using Engine.Actors.Features;
using Engine.Actors.Features.Resp;
using System.Security.Authentication;
using Engine.Models.Features;
using Engine.Models.Features.State;
using Engine.Testing.Features;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>The feature flushes' own connection (<see cref="FlushClient"/>), on Garnet and redis-server.</summary>
public class FlushClientTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Flushes_go_through_their_own_connection(RedisKind kind)
    {
        using var main = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(redis.Endpoint(kind)));
        await using var store = StoreFactory.Create(main, "own-connection");
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        var events = Enumerable.Range(0, 10).Select(i => (StoreFactory.View(i), new EventPosition(0, i))).ToList();
        await writeBehind.ApplyAsync(events);

        // Loads used the multiplexer; with it closed, only a flush that goes through its own connection can succeed.
        await main.CloseAsync();
        var result = await writeBehind.FlushAsync();

        Assert.True(result.Acknowledged, result.Error);
        var loaded = await new FeatureStore(redis.Connect(kind), store.Options, new FeatureMetrics()).LoadUserAsync("u1");
        Assert.Equal(9, loaded.Offsets.Covered[0]);
        Assert.Equal([10f], FeatureAssert.Read(UserFeatures.Schema(["product_view_1h"]), loaded, loaded.LastEventMs));
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Exec_after_the_watched_offsets_changed_applies_nothing_and_says_so(RedisKind kind)
    {
        // What makes a flush "raced": another writer moves the offsets between the WATCH and EXEC. The reply for it
        // differs by server version (a null array); the client must read it as "not committed" on both servers.
        await using var client = new FlushClient(RedisFixture.Options(redis.Endpoint(kind)));
        var db = redis.Connect(kind).GetDatabase();
        var prefix = RedisFixture.UniquePrefix("raced");
        var (offsets, feature) = (prefix + "offsets", prefix + "u:1");

        var (committed, error) = await client.RunAsync(async (connection, commands, cancellationToken) =>
        {
            commands.Command(2).Bulk("WATCH"u8).Bulk(offsets);
            await connection.SendAsync(commands, cancellationToken);
            await connection.Reader.StatusAsync(cancellationToken);
            await db.HashSetAsync(offsets, "0", 41); // another owner's flush lands meanwhile
            commands.Clear();
            commands.Command(1).Bulk("MULTI"u8);
            commands.Command(4).Bulk("HSET"u8).Bulk(feature).Bulk("f"u8).Bulk("1"u8);
            commands.Command(1).Bulk("EXEC"u8);
            await connection.SendAsync(commands, cancellationToken);
            await connection.Reader.StatusAsync(cancellationToken);
            await connection.Reader.StatusAsync(cancellationToken);
            return await connection.Reader.ExecAsync(cancellationToken);
        });

        Assert.False(committed);
        Assert.Null(error);
        Assert.False(await db.KeyExistsAsync(feature));
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Nodes_flushing_their_own_partitions_of_a_topic_at_once_never_abort_each_other(RedisKind kind)
    {
        // Two nodes (a store and its flush connection each) flush their own partitions back to back. With one offsets
        // hash per topic, the WATCH of one was broken by the other's EXEC and flushes ran out of attempts (checked).
        var options = StoreFactory.Options("two-nodes");
        var nodes = new[] { new FeatureStore(redis.Connect(kind), options, new FeatureMetrics()), new FeatureStore(redis.Connect(kind), options, new FeatureMetrics()) };
        var extraAttempts = new int[nodes.Length];

        await Task.WhenAll(Enumerable.Range(0, nodes.Length).Select(node => Task.Run(async () =>
        {
            for (var flush = 1; flush <= 300; flush++)
            {
                var writes = Enumerable.Range(0, 20).Select(user =>
                {
                    var changes = new EntityChanges();
                    changes.Add("f", (long)flush);
                    return new EntityWrite(EntityKind.User, $"node{node}-user{user}", changes);
                }).ToList();
                var result = await nodes[node].FlushAsync(new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [node] = flush }, writes));
                Assert.True(result.Acknowledged, result.Error);
                extraAttempts[node] += result.Attempts - 1;
            }
        })));

        Assert.Equal([0, 0], extraAttempts);
        Assert.Equal(new Dictionary<int, long> { [0] = 300, [1] = 300 }, await nodes[0].PartitionOffsetsAsync(StoreFactory.Topic, [0, 1]));
        foreach (var node in nodes) await node.DisposeAsync();
    }

    [Fact]
    public async Task A_failed_exchange_closes_the_connection_and_the_next_one_reconnects()
    {
        await using var client = new FlushClient(RedisFixture.Options(redis.Endpoint(RedisKind.Garnet)));
        RespConnection? first = null;

        await Assert.ThrowsAsync<RedisServerException>(() => client.RunAsync<int>(async (connection, commands, cancellationToken) =>
        {
            first = connection;
            commands.Command(1).Bulk("NO-SUCH-COMMAND"u8);
            await connection.SendAsync(commands, cancellationToken);
            await connection.Reader.StatusAsync(cancellationToken);
            return 0;
        }));
        var second = await client.RunAsync((connection, _, _) => Task.FromResult(connection));

        Assert.NotNull(first);
        Assert.NotSame(first, second);
    }

    [Fact]
    public async Task Exchanges_run_one_at_a_time_and_a_throwing_one_leaves_the_gate_open()
    {
        await using var client = new FlushClient(RedisFixture.Options(redis.Endpoint(RedisKind.Garnet)));

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.RunAsync<int>((_, _, _) => throw new InvalidOperationException("refused")));
        var inside = 0;
        var most = 0;
        var exchanges = Enumerable.Range(0, 50).Select(i => Task.Run(() => client.RunAsync(async (_, _, _) =>
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            Thread.SpinWait(20_000); // long enough for an ungated exchange on another thread to overlap
            Interlocked.Decrement(ref inside);
            await Task.Yield();
            return i;
        })));
        // Bounded: a gate left shut by the throwing exchange would hang here rather than fail.
        var replies = await Task.WhenAll(exchanges).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 50), replies.Order());
        Assert.Equal(1, most);
    }

    [Fact]
    public async Task Flushes_authenticate_as_the_configured_user_and_write_to_the_configured_database()
    {
        using var server = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        using (var open = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(server.Endpoint)))
        {
            await open.GetDatabase().ExecuteAsync("ACL", "SETUSER", "engine", "on", ">s3cret", "~*", "+@all");
            await open.GetDatabase().ExecuteAsync("ACL", "SETUSER", "default", "off");
        }
        var options = RedisFixture.Options(server.Endpoint);
        (options.User, options.Password, options.DefaultDatabase) = ("engine", "s3cret", 3);
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        await using var store = StoreFactory.Create(connection, "auth");
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        await writeBehind.ApplyAsync([(StoreFactory.View(0), new EventPosition(0, 0))]);

        var result = await writeBehind.FlushAsync();

        Assert.True(result.Acknowledged, result.Error);
        Assert.True(await connection.GetDatabase(3).KeyExistsAsync(store.Keys.PartitionOffset(StoreFactory.Topic, 0)));
        Assert.False(await connection.GetDatabase(0).KeyExistsAsync(store.Keys.PartitionOffset(StoreFactory.Topic, 0)));
    }

    [Fact]
    public async Task A_flush_that_Redis_does_not_answer_in_time_is_retried_on_a_new_connection_until_it_does()
    {
        using var server = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        var options = RedisFixture.Options(server.Endpoint);
        options.AsyncTimeout = options.SyncTimeout = 300;
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        await using var store = StoreFactory.Create(connection, "frozen", maxAttempts: 40);
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        await writeBehind.ApplyAsync(Enumerable.Range(0, 10).Select(i => (StoreFactory.View(i), new EventPosition(0, i))).ToList());

        server.Freeze();
        var flush = writeBehind.FlushAsync();
        await Task.Delay(1_500); // several 300 ms timeouts
        Assert.False(flush.IsCompleted);
        server.Thaw();
        var result = await flush.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.Acknowledged, result.Error);
        Assert.True(result.Attempts > 1, $"attempts {result.Attempts}");
        var loaded = await new FeatureStore(connection, store.Options, new FeatureMetrics()).LoadUserAsync("u1");
        Assert.Equal(9, loaded.Offsets.Covered[0]);
    }

    [Fact]
    public async Task Flushes_go_over_tls_when_configured_and_refuse_a_server_they_do_not_trust()
    {
        using var tls = TestTls.Create();
        using var server = new RedisServerProcess(tls: tls);
        await server.StartAsync();
        var trusting = RedisFixture.Options(server.Endpoint);
        (trusting.Ssl, trusting.SslClientAuthenticationOptions) = (true, tls.TrustingOnlyThisAuthority);
        await using var client = new FlushClient(trusting);
        var keys = new FeatureKeys(RedisFixture.UniquePrefix("tls"), null);
        var changes = new EntityChanges();
        changes.Add("f", 7L);
        var batch = new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = 5 }, [new EntityWrite(EntityKind.User, "u1", changes)]);

        Assert.Equal(FlushTransaction.Outcome.Committed, await FlushTransaction.RunAsync(client, batch, keys, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)));
        using (var reader = await ConnectionMultiplexer.ConnectAsync(trusting))
        {
            Assert.Equal("7", (string?)await reader.GetDatabase().HashGetAsync(keys.Entity(EntityKind.User, "u1"), "f"));
            Assert.Equal("5", (string?)await reader.GetDatabase().StringGetAsync(keys.PartitionOffset(StoreFactory.Topic, 0)));
        }
        var systemTrust = RedisFixture.Options(server.Endpoint);
        systemTrust.Ssl = true;
        await using var untrusting = new FlushClient(systemTrust);
        await Assert.ThrowsAsync<AuthenticationException>(() => FlushTransaction.RunAsync(untrusting, batch, keys, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Flushes_go_to_the_primary_when_the_first_endpoint_named_is_a_replica()
    {
        using var primary = new RedisServerProcess();
        await primary.StartAsync();
        using var replica = new RedisServerProcess(replicaOf: primary.Port);
        await replica.StartAsync();
        // The replica first, as a configuration listing a replica set may well have it (or a failover may make it so).
        var options = RedisFixture.Options(replica.Endpoint);
        options.EndPoints.Add(primary.Endpoint);
        using var main = await ConnectionMultiplexer.ConnectAsync(options);
        await using var store = StoreFactory.Create(main, "replica-first");
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        await writeBehind.ApplyAsync(Enumerable.Range(0, 3).Select(i => (StoreFactory.View(i), new EventPosition(0, i))).ToList());

        var result = await writeBehind.FlushAsync();

        Assert.True(result.Acknowledged, result.Error);
        using var onPrimary = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(primary.Endpoint));
        var loaded = await new FeatureStore(onPrimary, store.Options, new FeatureMetrics()).LoadUserAsync("u1");
        Assert.Equal(2, loaded.Offsets.Covered[0]);
    }

    /// <summary>
    /// With <c>Redis:AcknowledgingReplicas</c> 1, a flush the primary holds but no replica does is not acknowledged (its offsets
    /// must not be committed: a failover would lose it); once a replica holds it, it is. Before 2026-12-06 the primary's
    /// acknowledgement was the only one there was.
    /// </summary>
    [Fact]
    public async Task With_a_replica_asked_for_a_flush_is_acknowledged_only_once_a_replica_holds_it()
    {
        using var primary = new RedisServerProcess();
        await primary.StartAsync();
        using var main = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(primary.Endpoint));
        var prefix = RedisFixture.UniquePrefix("replicas");
        FeatureStoreOptions Options(int attempts, TimeSpan wait) => new()
        {
            KeyPrefix = prefix, MaxAttempts = attempts, InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100),
            AcknowledgingReplicas = 1, ReplicaWait = wait,
        };
        var batch = Batch(offset: 5, value: 7);
        await using (var alone = new FeatureStore(main, Options(attempts: 2, TimeSpan.FromMilliseconds(200)), new FeatureMetrics()))
        {
            var unreplicated = await alone.FlushAsync(batch);
            Assert.False(unreplicated.Acknowledged);
            Assert.Contains("NOREPLICAS a feature flush reached 0 of the 1 replicas", unreplicated.Error);
        }

        using var replica = new RedisServerProcess(replicaOf: primary.Port);
        await replica.StartAsync();
        await using var store = new FeatureStore(main, Options(attempts: 40, TimeSpan.FromSeconds(2)), new FeatureMetrics()); // a loaded machine's replica answers late
        // The same batch again (it landed on the primary: only the replica's acknowledgement was missing), then the next one.
        var landed = await store.FlushAsync(batch);
        Assert.True(landed.Acknowledged, landed.Error);
        var next = await store.FlushAsync(Batch(offset: 6, value: 8));
        Assert.True(next.Acknowledged, next.Error);
        Assert.Equal(1, next.Attempts);
        using var onReplica = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(replica.Endpoint));
        Assert.Equal("8", (string?)await onReplica.GetDatabase().HashGetAsync(store.Keys.Entity(EntityKind.User, "u1"), "f"));
        Assert.Equal("6", (string?)await onReplica.GetDatabase().StringGetAsync(store.Keys.PartitionOffset(StoreFactory.Topic, 0)));

        static FeatureBatch Batch(long offset, long value)
        {
            var changes = new EntityChanges();
            changes.Add("f", value);
            return new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = offset }, [new EntityWrite(EntityKind.User, "u1", changes)]);
        }
    }

    /// <summary>
    /// A retry that finds its flush already stored must still be answered by the primary: a demoted primary holds the flush
    /// until its resync wipes it, and answered the retry's reads as landed (review, 2026-12-06).
    /// </summary>
    [Fact]
    public async Task A_retry_that_finds_its_flush_on_a_replica_is_not_acknowledged_there()
    {
        using var primary = new RedisServerProcess();
        await primary.StartAsync();
        using var replica = new RedisServerProcess(replicaOf: primary.Port);
        await replica.StartAsync();
        using var onPrimary = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(primary.Endpoint));
        var options = StoreFactory.Options("landed-replica", maxAttempts: 2);
        await using var store = new FeatureStore(onPrimary, options, new FeatureMetrics());
        var changes = new EntityChanges();
        changes.Add("f", 7L);
        var batch = new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = 5 }, [new EntityWrite(EntityKind.User, "u1", changes)]);
        Assert.True((await store.FlushAsync(batch)).Acknowledged);
        using var onReplica = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(replica.Endpoint));
        var offsetKey = store.Keys.PartitionOffset(StoreFactory.Topic, 0);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await onReplica.GetDatabase().StringGetAsync(offsetKey) != "5" && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal("5", (string?)await onReplica.GetDatabase().StringGetAsync(offsetKey)); // the replica holds the flush: a retry there finds it landed

        // Only the replica is known to this store, as to a node whose address still names the demoted primary.
        await using var demoted = new FeatureStore(onReplica, options, new FeatureMetrics());
        var retried = await demoted.FlushAsync(batch);

        Assert.False(retried.Acknowledged);
        Assert.Contains("read-only replica", retried.Error);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }
}
