using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Features;
using Engine.Testing.Redis;
using FsCheck;
using FsCheck.Fluent;

namespace Engine.Actors.Tests.Features;

/// <summary>
/// The Redis round trip, on Garnet and on redis-server: apply, flush and load gives the pure state's features, and
/// neither a replayed batch nor a crash between flush and offset commit counts anything twice.
/// </summary>
public class FeatureStoreProperties(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(50);

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public void Apply_flush_load_gives_the_pure_state_and_the_reference(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), Arb.From(Gen.Choose(1, 40)), (scenario, chunk) => Run(async () =>
        {
            var store = StoreFactory.Create(connection, "roundtrip");
            var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
            foreach (var part in scenario.Deliveries.Chunk(chunk))
            {
                await writeBehind.ApplyAsync(part);
                Require((await writeBehind.FlushAsync()).Acknowledged, "flush not acknowledged");
            }
            await AssertStoredEqualsPure(store, scenario, scenario.Deliveries);
        })));
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public void A_crash_after_the_flush_and_before_the_commit_counts_nothing_twice(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        var cuts = Arb.From(Gen.Choose(0, 100).Two());
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), cuts, (scenario, cut) => Run(async () =>
        {
            var events = scenario.Unique.ToList();
            var flushedUpTo = events.Count * Math.Max(cut.Item1, cut.Item2) / 100;
            var committedUpTo = events.Count * Math.Min(cut.Item1, cut.Item2) / 100;
            var store = StoreFactory.Create(connection, "crash");

            // The first owner applies and flushes (acknowledged) but dies before committing past committedUpTo.
            var first = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
            await first.ApplyAsync(events[..flushedUpTo]);
            Require((await first.FlushAsync()).Acknowledged, "first flush not acknowledged");

            // The next owner starts from Redis and Kafka redelivers from the committed offset; it flushes as it
            // goes, also while it is still behind what the first owner flushed.
            var second = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
            foreach (var part in events[committedUpTo..].Chunk(3))
            {
                await second.ApplyAsync(part);
                var flushed = await second.FlushAsync();
                Require(flushed.Acknowledged, $"replaying flush not acknowledged: {flushed.Error}");
            }
            await AssertStoredEqualsPure(store, scenario, events);

            // Replaying everything once more, from scratch, leaves every stored field as it is.
            var keys = KeysOf(store, events);
            var before = await StoreFactory.DumpAsync(connection, store, keys);
            var third = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
            await third.ApplyAsync(events);
            Require((await third.FlushAsync()).Acknowledged, "third flush not acknowledged");
            var after = await StoreFactory.DumpAsync(connection, store, keys);
            Require(before.SequenceEqual(after), "a full replay changed stored fields");
        })));
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public void Owners_of_different_partitions_flushing_concurrently_give_the_items_of_a_single_owner(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        Check.One(Runs, Prop.ForAll(FeatureScenario.Arbitrary(), Arb.From(Gen.Choose(1, 40)), (scenario, chunk) => Run(async () =>
        {
            // One write-behind per partition, as a multi-node deployment has: all write slices of the same items.
            // Campaigns have their own owner, as their own topic (keyed by campaign) gives them in the engine.
            var store = StoreFactory.Create(connection, "slices");
            async Task Own(IEnumerable<(ClickEvent, EventPosition)> deliveries, FeatureWriteBehind owner)
            {
                foreach (var part in deliveries.Chunk(chunk))
                {
                    await owner.ApplyAsync(part);
                    var flushed = await owner.FlushAsync();
                    Require(flushed.Acknowledged, $"flush not acknowledged: {flushed.Error}");
                    await Task.Yield();
                }
            }
            var owners = scenario.Deliveries.GroupBy(d => d.Position.Partition)
                .Select(partition => Own(partition, new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic, FeatureScope.UsersAndItems)))
                .Append(Own(scenario.Deliveries, new FeatureWriteBehind(store, new FeatureMetrics(), "campaign-events", FeatureScope.Campaigns)));
            await Task.WhenAll(owners);
            await AssertStoredEqualsPure(store, scenario, scenario.Deliveries);
        })));
    }

    private static async Task AssertStoredEqualsPure(FeatureStore store, FeatureScenario scenario, IReadOnlyList<(ClickEvent, EventPosition)> deliveries)
    {
        var pure = new ScenarioStates(FeatureScenario.Lateness).Apply(deliveries);
        foreach (var (id, state) in pure.Users)
        {
            var loaded = await store.LoadUserAsync(id);
            var now = state.ReadTimeMs(scenario.ReadAt);
            Require(loaded.ReadTimeMs(scenario.ReadAt) == now, $"user {id}: last event time differs");
            FeatureAssert.SameVectors(FeatureAssert.Read(UserFeatures.All, state, now), FeatureAssert.Read(UserFeatures.All, loaded, now), FeatureNames.User, $"user {id}");
            var expected = ReferenceFeatures.User(ReferenceFeatures.Accepted(deliveries, e => e.UserId == id, FeatureScenario.Lateness), scenario.ReadAt);
            FeatureAssert.Matches(expected, FeatureNames.User, FeatureAssert.Read(UserFeatures.All, loaded, now), $"user {id} vs reference");
            Require(loaded.Offsets.Covered.OrderBy(o => o.Key).SequenceEqual(state.Offsets.Covered.OrderBy(o => o.Key)), $"user {id}: offsets differ");
        }
        foreach (var (id, state) in pure.Campaigns)
        {
            var loaded = await store.LoadCampaignAsync(id);
            var now = state.ReadTimeMs(scenario.ReadAt);
            FeatureAssert.SameVectors(FeatureAssert.Read(CampaignFeatures.All, state, now), FeatureAssert.Read(CampaignFeatures.All, loaded, now), FeatureNames.Campaign, $"campaign {id}");
        }
        foreach (var (id, state) in pure.Items)
        {
            var loaded = await store.LoadItemAsync(id);
            var now = state.ReadTimeMs(scenario.ReadAt);
            FeatureAssert.SameVectors(FeatureAssert.Read(ItemFeatures.All, state, now), FeatureAssert.Read(ItemFeatures.All, loaded, now), FeatureNames.Item, $"item {id}");
            var expected = ReferenceFeatures.Item(ReferenceFeatures.AcceptedBySlice(deliveries, e => e.ItemId == id, FeatureScenario.Lateness), scenario.ReadAt);
            FeatureAssert.Matches(expected, FeatureNames.Item, FeatureAssert.Read(ItemFeatures.All, loaded, now), $"item {id} vs reference");
            Require(loaded.Neighbours.Counts.OrderBy(c => c.Key).SequenceEqual(state.Neighbours.Counts.OrderBy(c => c.Key)), $"item {id}: co-visits differ");
        }
    }

    private static List<string> KeysOf(FeatureStore store, IEnumerable<(ClickEvent Event, EventPosition)> events) =>
    [
        .. events.Select(x => store.Keys.Entity(EntityKind.User, x.Event.UserId)),
        .. events.Where(x => x.Event.ItemId != null).Select(x => store.Keys.Entity(EntityKind.Item, x.Event.ItemId!)),
        // Co-visits reach items of the same session in the event's partition: every item in every partition's slice.
        .. from item in events.Where(x => x.Event.ItemId != null).Select(x => x.Event.ItemId!)
           from partition in events.Select(x => x.Item2.Partition).Distinct()
           select store.Keys.ItemSlice(item, partition),
        .. events.Where(x => x.Event.CampaignId != null).Select(x => store.Keys.Entity(EntityKind.Campaign, x.Event.CampaignId!)),
    ];

    private static void Require(bool condition, string problem)
    {
        if (!condition) throw new FeatureMismatchException(problem);
    }

    /// <summary>FsCheck properties are synchronous: run the async body on the thread pool (no captured context) and wait.</summary>
    private static void Run(Func<Task> body) => Task.Run(body).GetAwaiter().GetResult();
}
