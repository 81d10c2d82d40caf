using System.Diagnostics.Metrics;
using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;
using Engine.Testing.Features;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>Redis going away, stale writers and reads, on Garnet and on redis-server.</summary>
public class FeatureStoreFailureTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static FeatureScenario Scenario(int seed, int events = 60)
    {
        var random = new Random(seed);
        var draws = Enumerable.Range(0, events).Select(_ => Enumerable.Range(0, 12).Select(_ => random.Next(1_000_000)).ToArray()).ToList();
        return FeatureScenario.Build(draws, readDelayMs: 0);
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_flush_while_Redis_restarts_retries_until_it_is_back_and_loses_nothing(RedisKind kind)
    {
        using var server = await RestartableRedis.StartAsync(kind);
        using var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(server.Endpoint));
        var store = StoreFactory.Create(connection, "restart", maxAttempts: 40);
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        var scenario = Scenario(seed: 7);
        await writeBehind.ApplyAsync(scenario.Deliveries);

        server.Stop();
        var flush = writeBehind.FlushAsync();
        await Task.Delay(600);
        Assert.False(flush.IsCompleted);
        await server.StartAsync();
        var result = await flush;

        Assert.True(result.Acknowledged, result.Error);
        Assert.True(result.Attempts > 1);
        await AssertUsersStored(store, scenario);
    }

    /// <summary>An item's read (its slice list, then its slices) is retried as every load is: before 2026-12-07 one timeout failed it (review).</summary>
    [Fact]
    public async Task Reading_an_item_while_Redis_is_held_retries_until_it_answers()
    {
        using var server = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        using var connection = await ConnectionMultiplexer.ConnectAsync(server.Endpoint + ",asyncTimeout=400");
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = $"item-restart:{Guid.NewGuid():N}:", MaxAttempts = 40 }, new FeatureMetrics());
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        var scenario = Scenario(seed: 17);
        await writeBehind.ApplyAsync(scenario.Deliveries);
        Assert.True((await writeBehind.FlushAsync()).Acknowledged);
        var item = scenario.Deliveries.Where(d => d.Event.ItemId is not null).GroupBy(d => d.Event.ItemId!).MaxBy(g => g.Count())!.Key;
        var stored = await store.LoadItemAsync(item);

        server.Freeze(); // past the client's timeout: the first attempt times out
        var reading = store.LoadItemAsync(item);
        await Task.Delay(1_500);
        Assert.False(reading.IsCompleted);
        server.Thaw();
        var read = await reading;

        double Views(ItemFeatureState state) => Enumerable.Range(0, 3).Sum(type => state.Hours.Sum(type, 24, stored.LastEventMs));
        Assert.True(Views(stored) > 0);
        Assert.Equal(Views(stored), Views(read));
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Loading_state_while_Redis_restarts_retries_until_it_is_back(RedisKind kind)
    {
        using var server = await RestartableRedis.StartAsync(kind);
        using var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(server.Endpoint));
        var metrics = new FeatureMetrics();
        var retries = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter && instrument.Name == "engine.features.load.retries") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref retries, value));
        listener.Start();
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = $"load-restart:{Guid.NewGuid():N}:", MaxAttempts = 40 }, metrics);
        var writeBehind = new FeatureWriteBehind(store, metrics, StoreFactory.Topic);
        var scenario = Scenario(seed: 13);

        server.Stop();
        // A fresh owner's first batch reads its partitions' offsets and loads every entity before it applies anything.
        var applying = writeBehind.ApplyAsync(scenario.Deliveries);
        await Task.Delay(600);
        Assert.False(applying.IsCompleted);
        await server.StartAsync();
        await applying;

        Assert.True(Interlocked.Read(ref retries) > 0);
        var flushed = await writeBehind.FlushAsync();
        Assert.True(flushed.Acknowledged, flushed.Error);
        await AssertUsersStored(store, scenario);
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Redis_down_past_the_retries_is_not_acknowledged_and_the_next_flush_carries_the_changes(RedisKind kind)
    {
        using var server = await RestartableRedis.StartAsync(kind);
        using var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(server.Endpoint));
        var store = StoreFactory.Create(connection, "down", maxAttempts: 2);
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        var scenario = Scenario(seed: 11);
        var half = scenario.Unique.Count / 2;
        await writeBehind.ApplyAsync(scenario.Deliveries.Take(half).ToList());

        server.Stop();
        var failed = await writeBehind.FlushAsync();
        Assert.False(failed.Acknowledged);
        Assert.NotNull(failed.Error);
        Assert.Empty(writeBehind.AcknowledgedOffsets);

        await server.StartAsync();
        await WaitUntilConnected(connection);
        await writeBehind.ApplyAsync(scenario.Deliveries.Skip(half).ToList());
        var caughtUp = await writeBehind.FlushAsync();
        Assert.True(caughtUp.Acknowledged, caughtUp.Error);
        var lastOffsets = scenario.Deliveries.GroupBy(d => d.Position.Partition).ToDictionary(g => g.Key, g => g.Max(d => d.Position.Offset));
        Assert.Equal(lastOffsets.OrderBy(o => o.Key), writeBehind.AcknowledgedOffsets.OrderBy(o => o.Key));
        Assert.Equal(lastOffsets.OrderBy(o => o.Key), (await store.PartitionOffsetsAsync(StoreFactory.Topic, [.. lastOffsets.Keys])).OrderBy(o => o.Key));
        await AssertUsersStored(store, scenario);
    }

    /// <summary>A flush cancelled while Redis is away gives its writes back: the next flush carries them (before 2026-12-07 it acknowledged past them).</summary>
    [Fact]
    public async Task A_flush_cancelled_while_Redis_is_away_leaves_its_changes_to_the_next_flush()
    {
        using var server = await RestartableRedis.StartAsync(RedisKind.Garnet);
        using var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(server.Endpoint));
        var store = StoreFactory.Create(connection, "cancelled", maxAttempts: 40);
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        var scenario = Scenario(seed: 17);
        var half = scenario.Unique.Count / 2;
        await writeBehind.ApplyAsync(scenario.Deliveries.Take(half).ToList());

        server.Stop();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writeBehind.FlushAsync(cancel.Token));

        await server.StartAsync();
        await WaitUntilConnected(connection);
        await writeBehind.ApplyAsync(scenario.Deliveries.Skip(half).ToList());
        var caughtUp = await writeBehind.FlushAsync();
        Assert.True(caughtUp.Acknowledged, caughtUp.Error);
        await AssertUsersStored(store, scenario);
    }

    /// <summary>
    /// Redis refusing writes for a while (out of memory here; a full disk's MISCONF, BUSY, a failover's MASTERDOWN alike) is
    /// retried and reported as not acknowledged, as a lost connection is, not thrown: thrown, it failed the whole stream.
    /// </summary>
    [Fact]
    public async Task A_redis_out_of_memory_is_retried_not_thrown_and_the_flush_lands_once_it_has_room()
    {
        using var server = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        var options = RedisFixture.Options(server.Endpoint);
        options.AllowAdmin = true; // CONFIG SET
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var store = StoreFactory.Create(connection, "oom", maxAttempts: 2);
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        var scenario = Scenario(seed: 13);
        await writeBehind.ApplyAsync(scenario.Unique.ToList());
        var config = connection.GetServers().Single();

        await config.ConfigSetAsync("maxmemory", "1");
        var refused = await writeBehind.FlushAsync();
        Assert.False(refused.Acknowledged);
        Assert.Contains("OOM", refused.Error);

        await config.ConfigSetAsync("maxmemory", "0");
        await writeBehind.ApplyAsync(scenario.Deliveries.Skip(scenario.Unique.Count).ToList());
        var landed = await writeBehind.FlushAsync();
        Assert.True(landed.Acknowledged, landed.Error);
        await AssertUsersStored(store, scenario);
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_stale_owner_cannot_overwrite_a_newer_flush(RedisKind kind)
    {
        var store = StoreFactory.Create(redis.Connect(kind), "stale");
        var events = Enumerable.Range(0, 10).Select(i => (StoreFactory.View(i), new EventPosition(0, i))).ToList();
        var stale = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        await stale.ApplyAsync(events[..5]);
        var current = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        await current.ApplyAsync(events);
        Assert.True((await current.FlushAsync()).Acknowledged);

        var result = await stale.FlushAsync();

        Assert.False(result.Acknowledged);
        Assert.True(result.Superseded);
        Assert.Empty(stale.Users);
        var loaded = await store.LoadUserAsync("u1");
        Assert.Equal(9, loaded.Offsets.Covered[0]);
        Assert.Equal([10f], FeatureAssert.Read(UserFeatures.Schema(["product_view_1h"]), loaded, loaded.LastEventMs));
        // Stale for good: used again, it refuses (before 2026-12-07 it took more events and every later flush was superseded).
        await Assert.ThrowsAsync<InvalidOperationException>(() => stale.ApplyAsync([(StoreFactory.View(10), new EventPosition(1, 0))]));
    }

    /// <summary>
    /// A flush whose reply was lost or came after <c>Redis:TimeoutMs</c> is tried again by its writer. Before 2026-12-06 the
    /// retry found its own offset stored (equal is allowed) and sent the whole batch again: a batch whose exchange outlasts the
    /// timeout was re-sent, and timed out, for ever. A field changed after the first attempt shows whether the retry wrote.
    /// </summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_retry_of_a_flush_that_landed_is_acknowledged_without_sending_it_again(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, "landed");
        var key = store.Keys.Entity(EntityKind.User, "u1");
        var batch = Batch(offset: 41);
        Assert.True((await store.FlushAsync(batch)).Acknowledged);
        await connection.GetDatabase().HashSetAsync(key, "probe", "changed after the first attempt");

        var retried = await store.FlushAsync(batch);

        Assert.True(retried.Acknowledged, retried.Error);
        Assert.Equal("changed after the first attempt", (string?)await connection.GetDatabase().HashGetAsync(key, "probe"));

        // Another batch at the same offset (an owner resending what it wrote after a failed flush) is still written.
        var resent = await store.FlushAsync(Batch(offset: 41));
        Assert.True(resent.Acknowledged, resent.Error);
        Assert.Equal("1", (string?)await connection.GetDatabase().HashGetAsync(key, "probe"));

        FeatureBatch Batch(long offset)
        {
            var changes = new EntityChanges();
            changes.Add("probe", 1L);
            return new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = offset }, [new EntityWrite(EntityKind.User, "u1", changes)]);
        }
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_read_fills_the_callers_buffer_in_the_schemas_order(RedisKind kind)
    {
        var store = StoreFactory.Create(redis.Connect(kind), "read");
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        await writeBehind.ApplyAsync([.. Enumerable.Range(0, 3).Select(i => (StoreFactory.View(i), new EventPosition(0, i)))]);
        Assert.True((await writeBehind.FlushAsync()).Acknowledged);
        var schema = UserFeatures.Schema(["seconds_since_last_event", "product_view_5m", "distinct_categories_24h", "page_view_7d"]);
        var buffer = new float[schema.Length + 1];
        buffer[^1] = -7;

        await store.ReadUserAsync("u1", schema, StoreFactory.View(2).EventTime.AddSeconds(30), buffer);

        Assert.Equal([30f, 3f, 1f, 0f, -7f], buffer);
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Every_entity_key_gets_a_ttl_so_memory_stays_bounded(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, "ttl");
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        await writeBehind.ApplyAsync([(StoreFactory.View(0), new EventPosition(0, 0))]);
        Assert.True((await writeBehind.FlushAsync()).Acknowledged);

        foreach (var key in new[] { store.Keys.Entity(EntityKind.User, "u1"), store.Keys.Entity(EntityKind.Item, "i0") })
        {
            var ttl = await connection.GetDatabase().KeyTimeToLiveAsync(key);
            Assert.InRange(ttl!.Value, TimeSpan.FromDays(30), store.Options.EntityTtl);
        }
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Late_events_are_dropped_and_counted_on_the_features_meter(RedisKind kind)
    {
        using var metrics = new FeatureMetrics();
        long late = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "engine.features.events.late") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref late, value));
        listener.Start();
        var writeBehind = new FeatureWriteBehind(StoreFactory.Create(redis.Connect(kind), "late"), metrics, StoreFactory.Topic);

        await writeBehind.ApplyAsync([(StoreFactory.View(0), new EventPosition(0, 0)), (StoreFactory.View(-30), new EventPosition(0, 1))]);

        Assert.Equal(1, Interlocked.Read(ref late));
        Assert.Equal(1, writeBehind.Users["u1"].Minutes.Sum((int)EventType.ProductView, 60, writeBehind.Users["u1"].LastEventMs));
    }

    /// <summary>The caller's next periodic flush comes after the client has reconnected; bounded wait.</summary>
    private static async Task WaitUntilConnected(IConnectionMultiplexer connection)
    {
        for (var i = 0; i < 200 && !connection.IsConnected; i++) await Task.Delay(50);
        Assert.True(connection.IsConnected, "the client did not reconnect within 10 s");
    }

    private static async Task AssertUsersStored(FeatureStore store, FeatureScenario scenario)
    {
        var pure = new ScenarioStates(FeatureScenario.Lateness).Apply(scenario.Deliveries);
        foreach (var (id, state) in pure.Users)
        {
            var loaded = await store.LoadUserAsync(id);
            var now = state.ReadTimeMs(scenario.ReadAt);
            FeatureAssert.SameVectors(FeatureAssert.Read(UserFeatures.All, state, now), FeatureAssert.Read(UserFeatures.All, loaded, now), FeatureNames.User, $"user {id}");
        }
    }
}
