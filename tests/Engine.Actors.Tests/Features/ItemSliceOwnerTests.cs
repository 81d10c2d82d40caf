using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Features;
using Engine.Testing.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>
/// <see cref="ItemSliceOwner"/> alone, on the real servers: per-partition owners that keep only a few slices in memory
/// (so most batches drop and reload them) flush the same items as one write-behind, and a fresh owner replaying
/// everything writes nothing.
/// </summary>
public sealed class ItemSliceOwnerTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const int Partitions = 2, BatchSize = 5;

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Owners_that_evict_and_reload_flush_the_items_of_one_write_behind_and_a_replay_writes_nothing(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, "item-owner");
        var events = Stream(new Random(5));

        foreach (var partition in events.GroupBy(x => x.Position.Partition))
        {
            var owner = new ItemSliceOwner(store, maxKept: 3);
            foreach (var batch in partition.Chunk(BatchSize))
            {
                var writes = await owner.ApplyAsync(batch);
                var flushed = await store.FlushAsync(new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [partition.Key] = batch[^1].Position.Offset }, writes));
                Assert.True(flushed.Acknowledged, flushed.Error);
            }
            Assert.True(owner.Kept <= 3 + 6 * BatchSize, $"{owner.Kept} slices kept");
        }

        var reference = new FeatureWriteBehind(StoreFactory.Create(connection, "item-owner-reference"), new FeatureMetrics(), StoreFactory.Topic, FeatureScope.UsersAndItems);
        await reference.ApplyAsync([.. events.Select(x => (x.Event, x.Position))]);
        var items = events.Select(x => x.Event.ItemId!).Distinct(StringComparer.Ordinal).ToList();
        foreach (var item in items)
        {
            var expected = ItemFeatureState.Merge(item, store.Options.AllowedLateness, reference.ItemSlices.Where(s => s.Key.Item == item).Select(s => s.Value));
            var live = await store.LoadItemAsync(item);
            var now = expected.ReadTimeMs(DateTimeOffset.MinValue);
            FeatureAssert.SameVectors(FeatureAssert.Read(ItemFeatures.All, expected, now), FeatureAssert.Read(ItemFeatures.All, live, now), FeatureNames.Item, item);
            Assert.Equal(expected.Neighbours.Top(40), live.Neighbours.Top(40));
        }
        Assert.Contains(items, item => reference.ItemSlices.Any(s => s.Key.Item == item && s.Value.Neighbours.Top(1).Count > 0));

        // A takeover or restart: a fresh owner replays every batch; each slice it loads already holds these offsets.
        foreach (var partition in events.GroupBy(x => x.Position.Partition))
        {
            var owner = new ItemSliceOwner(store);
            foreach (var batch in partition.Chunk(BatchSize)) Assert.Empty(await owner.ApplyAsync(batch));
        }
    }

    /// <summary>
    /// A view late for its item but not for its user (a batched upload: user b's first event, 15 minutes behind what user a
    /// did with the same item on the partition) is left out of the item's windows and counted as such. Before 2026-12-08 it
    /// was dropped uncounted: the late counter heard only of users' lateness (review).
    /// </summary>
    [Fact]
    public async Task A_view_late_for_its_item_but_not_its_user_is_counted()
    {
        using var metrics = new FeatureMetrics();
        long itemLate = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name == "engine.features.item_events.late") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref itemLate, value));
        listener.Start();
        var store = new FeatureStore(redis.Connect(RedisKind.Garnet), StoreFactory.Options("item-late"), metrics);
        var owner = new ItemSliceOwner(store);
        var t = FeatureScenario.Start;
        ItemEvent View(string user, DateTimeOffset at, long offset) =>
            new(new ClickEvent { EventId = $"e{offset}", EventTime = at, UserId = user, SessionId = user, Type = EventType.ProductView, ItemId = "x" },
                new EventPosition(0, offset), []);

        await owner.ApplyAsync([View("a", t.AddMinutes(20), 0), View("b", t.AddMinutes(5), 1)]);

        Assert.Equal(1, Interlocked.Read(ref itemLate));
    }

    /// <summary>
    /// A slice held in memory longer than its key lives in Redis is read again: its next write does not put its changed
    /// fields on a fresh key beside counts Redis no longer has (before 2026-12-07 the owner kept slices for its whole life,
    /// and wrote a co-visit count of 2 where Redis had expired the first). The key lives 2 s here, memory 1 s.
    /// </summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_slice_held_longer_than_its_key_lives_is_read_again_before_its_next_write(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        var options = StoreFactory.Options("item-owner-age");
        options.EntityTtl = TimeSpan.FromSeconds(2);
        var store = new FeatureStore(connection, options, new FeatureMetrics());
        var owner = new ItemSliceOwner(store, maxAge: TimeSpan.FromSeconds(1));
        var t = FeatureScenario.Start;
        long offset = 0;
        async Task ViewAsync(DateTimeOffset at, string coVisited)
        {
            var e = new ClickEvent { EventId = $"e{offset}", EventTime = at, UserId = "u1", SessionId = "s1", Type = EventType.ProductView, ItemId = "a" };
            var position = new EventPosition(0, offset++);
            var writes = await owner.ApplyAsync([new ItemEvent(e, position, [coVisited])]);
            Assert.True((await store.FlushAsync(new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = position.Offset }, writes))).Acknowledged);
        }

        await ViewAsync(t, "b");
        await ViewAsync(t.AddMinutes(1), "c");
        await Task.Delay(TimeSpan.FromSeconds(3)); // the key has expired
        await ViewAsync(t.AddDays(2), "b");

        var live = await store.LoadItemAsync("a");
        Assert.Equal(["b"], live.Neighbours.Top(40).Select(n => n.Item)); // c's count expired with the key, b's first with it
        Assert.Equal(1, live.Neighbours.Top(40).Single().Count);
    }

    /// <summary>Views, cart adds and purchases by a few users per partition, with the co-visits a user actor would report.</summary>
    private static List<ItemEvent> Stream(Random random)
    {
        var events = new List<ItemEvent>();
        var offsets = new long[Partitions];
        var users = Enumerable.Range(0, 6).Select(u => new UserFeatureState($"u{u}", FeatureScenario.Lateness)).ToArray();
        var t = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 120; i++)
        {
            var u = random.Next(users.Length);
            var partition = u % Partitions;
            t = t.AddSeconds(random.Next(5, 120));
            var type = random.Next(6) switch { < 4 => EventType.ProductView, 4 => EventType.AddToCart, _ => EventType.Purchase };
            var e = new ClickEvent
            {
                EventId = $"e{i}", EventTime = t, UserId = users[u].Id, SessionId = $"s{u}-{i / 30}", Type = type, ItemId = $"item-{random.Next(10)}",
            };
            var position = new EventPosition(partition, offsets[partition]++);
            var coVisited = new List<string>();
            users[u].Apply(e, position, coVisited);
            events.Add(new ItemEvent(e, position, coVisited));
        }
        return events;
    }
}
