using Akka.Actor;
using Akka.Streams;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Features;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Features;
using Engine.Testing.Kafka;
using Engine.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>
/// The user pipeline keeps item popularity and co-visitation live in Redis (issue #3): shoppers' sessions go through
/// Kafka, the user shards and the per-partition batch writer; each item read back (its slices summed) must equal the
/// same events applied to one in-memory write-behind, and replays from earlier commits must change no item field.
/// </summary>
public sealed class ItemSlicePipelineTests(KafkaFixture kafka, RedisFixture redis, ITestOutputHelper output)
    : PipelineTestKit(kafka, output), IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private const int Partitions = 2;
    private static readonly string[] Catalogue = [.. Enumerable.Range(0, 12).Select(i => $"item-{i}")];
    private readonly ITestOutputHelper _output = output;
    private readonly UserTestWorld _world = new();

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Live_item_features_equal_the_reference_and_replays_from_earlier_commits_change_nothing(RedisKind kind)
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(Partitions);
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, "items-live");
        var decider = _world.Decider();
        var users = EntityShards.Start(Sys, EntityShards.Users, Partitions, id => UserActor.Props(id, store, decider));
        var events = Sessions(new Random(11));

        // First run: the first 60% of the stream, consumed and committed.
        var cut = events.Count * 6 / 10;
        var delivered = await ProduceAsync(input, events.Take(cut));
        await RunUntilConsumedAsync(input, topics, NewGroup(), users, store, cut);
        // A crash that lost every commit: the entities restart from Redis and a fresh group reads from the start, replaying
        // the flushed 60% (duplicates for every user and slice, batches the partition offset supersedes) and then the rest.
        delivered.AddRange(await ProduceAsync(input, events.Skip(cut)));
        await EntityShards.StopAllAsync(users, TimeSpan.FromSeconds(10));
        await RunUntilConsumedAsync(input, topics, NewGroup(), users, store, events.Count);

        var reference = await ReferenceAsync(connection, input, delivered);
        var items = delivered.Where(x => x.Event.ItemId != null).Select(x => x.Event.ItemId!).Distinct().Order(StringComparer.Ordinal).ToList();
        var keys = items.SelectMany(item => Enumerable.Range(0, Partitions).Select(p => store.Keys.ItemSlice(item, p)).Prepend(store.Keys.Entity(EntityKind.Item, item)));
        var before = await StoreFactory.DumpAsync(connection, store, keys);
        await AssertItemsMatchAsync(store, reference, delivered, items);

        // Again, with every record flushed: the whole replay leaves every item field as it was.
        await EntityShards.StopAllAsync(users, TimeSpan.FromSeconds(10));
        await RunUntilConsumedAsync(input, topics, NewGroup(), users, store, events.Count);
        Assert.Equal(before, await StoreFactory.DumpAsync(connection, store, keys));
        await AssertItemsMatchAsync(store, reference, delivered, items);
        _output.WriteLine($"{kind}: {events.Count} events (partitions: {string.Join(", ", delivered.GroupBy(x => x.Position.Partition).Select(g => g.Count()))}), {items.Count} items, {before.Count} item fields");
    }

    /// <summary>
    /// An item's slice runs on the time of every user's events on its partition: before 2026-12-07 one view stamped half an
    /// hour ahead by a device clock (accepted: up to an hour ahead of its record) moved the slice's clock, and every other
    /// shopper's view of the item for the next twenty minutes was late for it and counted nowhere (review). Item events now
    /// take their time no later than their record's arrival, as campaign events do.
    /// </summary>
    [Fact]
    public async Task A_view_stamped_ahead_by_a_device_clock_does_not_make_other_shoppers_views_late_for_the_item()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        var connection = redis.Connect(RedisKind.Garnet);
        var store = StoreFactory.Create(connection, "items-ahead");
        var decider = _world.Decider();
        var users = EntityShards.Start(Sys, EntityShards.Users, 1, id => UserActor.Props(id, store, decider));
        var now = DateTimeOffset.UtcNow;
        ClickEvent View(string user, DateTimeOffset at) => new()
        {
            EventId = $"{user}-view", EventTime = at, UserId = user, SessionId = $"{user}-s", Type = EventType.ProductView, ItemId = "shoe-1", Category = "shoes",
        };
        await ProduceAsync(input, [View("fast-clock", now.AddMinutes(30)), View("on-time", now.AddMinutes(1))]);

        await RunUntilConsumedAsync(input, topics, NewGroup(), users, store, 2);

        var item = await store.LoadItemAsync("shoe-1");
        var counts = FeatureAssert.Read(ItemFeatures.All, item, item.ReadTimeMs(DateTimeOffset.MinValue));
        Assert.Equal(2, counts[FeatureNames.Item.ToList().IndexOf("views_1h")]);
        Assert.True(DateTimeOffset.FromUnixTimeMilliseconds(item.LastEventMs) < now.AddMinutes(5), $"the item's clock is at {DateTimeOffset.FromUnixTimeMilliseconds(item.LastEventMs):O}");
    }

    /// <summary>Each live item equals the reference's (its slices merged); its 24 h counts equal a plain count of the events.</summary>
    private static async Task AssertItemsMatchAsync(
        FeatureStore store, FeatureWriteBehind reference, List<(ClickEvent Event, EventPosition Position)> delivered, List<string> items)
    {
        var withNeighbours = 0;
        foreach (var item in items)
        {
            var live = await store.LoadItemAsync(item);
            var expected = ItemFeatureState.Merge(item, store.Options.AllowedLateness, reference.ItemSlices.Where(s => s.Key.Item == item).Select(s => s.Value));
            var now = expected.ReadTimeMs(DateTimeOffset.MinValue);
            Assert.Equal(now, live.ReadTimeMs(DateTimeOffset.MinValue));
            FeatureAssert.SameVectors(FeatureAssert.Read(ItemFeatures.All, expected, now), FeatureAssert.Read(ItemFeatures.All, live, now), FeatureNames.Item, item);
            Assert.Equal(expected.Neighbours.Top(ItemFeatureState.NeighboursKept * 2), live.Neighbours.Top(ItemFeatureState.NeighboursKept * 2));
            // The stream spans two hours: every view, cart add and purchase of the item is inside its 24 h window.
            var counted = FeatureAssert.Read(ItemFeatures.All, live, now);
            Assert.Equal(Count(delivered, item, EventType.ProductView), counted[FeatureNames.Item.ToList().IndexOf("views_24h")]);
            Assert.Equal(Count(delivered, item, EventType.AddToCart), counted[FeatureNames.Item.ToList().IndexOf("carts_24h")]);
            Assert.Equal(Count(delivered, item, EventType.Purchase), counted[FeatureNames.Item.ToList().IndexOf("purchases_24h")]);
            if (live.Neighbours.Top(1).Count > 0) withNeighbours++;
        }
        Assert.True(withNeighbours > items.Count / 2, $"only {withNeighbours} of {items.Count} items have co-visited neighbours");
    }

    private static int Count(List<(ClickEvent Event, EventPosition Position)> delivered, string item, EventType type) =>
        delivered.Count(x => x.Event.ItemId == item && x.Event.Type == type);

    /// <summary>The same events, in each partition's order, through one in-memory write-behind (users and item slices).</summary>
    private async Task<FeatureWriteBehind> ReferenceAsync(IConnectionMultiplexer connection, string topic, List<(ClickEvent Event, EventPosition Position)> delivered)
    {
        var empty = StoreFactory.Create(connection, "items-reference");
        var reference = new FeatureWriteBehind(empty, new FeatureMetrics(), topic, FeatureScope.UsersAndItems);
        await reference.ApplyAsync([.. delivered.OrderBy(x => x.Position.Partition).ThenBy(x => x.Position.Offset)]);
        return reference;
    }

    /// <summary>Shoppers' sessions over two hours: views of a shared catalogue (so items hear from both partitions), cart adds, purchases, page views.</summary>
    private static List<ClickEvent> Sessions(Random random)
    {
        var events = new List<ClickEvent>();
        var t = UserTestWorld.T0;
        for (var session = 0; session < 40; session++)
        {
            var user = $"shopper-{session % 9}";
            for (var step = 0; step < 2 + random.Next(6); step++)
            {
                t = t.AddSeconds(random.Next(20, 200));
                var item = Catalogue[random.Next(Catalogue.Length)];
                var type = random.Next(10) switch
                {
                    < 6 => EventType.ProductView,
                    < 8 => EventType.AddToCart,
                    8 => EventType.Purchase,
                    _ => EventType.PageView,
                };
                events.Add(new ClickEvent
                {
                    EventId = $"e{events.Count}", EventTime = t, UserId = user, SessionId = $"s{session}", Type = type,
                    ItemId = type == EventType.PageView ? null : item, Category = "shoes", Price = type == EventType.Purchase ? 30m : null,
                });
            }
        }
        return events;
    }

    private async Task<List<(ClickEvent Event, EventPosition Position)>> ProduceAsync(string topic, IEnumerable<ClickEvent> events)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = Kafka.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build();
        var delivered = new List<(ClickEvent, EventPosition)>();
        foreach (var e in events)
        {
            var result = await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(e.UserId), Value = ClickEventCodec.Encode(e) });
            delivered.Add((e, new EventPosition(result.Partition.Value, result.Offset.Value)));
        }
        return delivered;
    }

    private static string NewGroup() => "items-" + Guid.NewGuid().ToString("N");

    /// <summary>Runs the user pipeline from the group's commits (none: the start) until it has consumed <paramref name="expected"/> records, then drains and stops it.</summary>
    private async Task RunUntilConsumedAsync(string input, DecisionTopics topics, string group, IActorRef users, FeatureStore store, int expected)
    {
        var counters = new PipelineCounters();
        var settings = new DecisionPipelineSettings(
            new KafkaConsumerSettings(Kafka.BootstrapServers, group, [input]),
            new KafkaProducerSettings(Kafka.BootstrapServers, new Dictionary<string, string> { ["partitioner"] = "murmur2_random" }),
            topics, EntityRoute.Users(campaignEventsTopic: null), BatchSize: 7);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, new DecisionCounters(), Sys.Materializer(), new ShardAlignment(Sys, EntityShards.Users));
        AwaitCondition(() => counters.Consumed >= expected, TimeSpan.FromSeconds(60));
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(expected, counters.Consumed);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _world.Dispose();
    }
}
