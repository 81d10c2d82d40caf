using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Features;
using StackExchange.Redis;

namespace Engine.FaultTests.Harness;

/// <summary>What the user features in Redis are against the reference replayed from the event log.</summary>
/// <param name="EventsReferenced">Events the reference counted (every delivered valid event, once).</param>
/// <param name="EventsInRedis">The same total read from Redis: the 7-day counts of every event type, summed over users.</param>
public sealed record FeatureComparison(int Users, int Mismatched, long EventsReferenced, long EventsInRedis, IReadOnlyList<string> Examples, string Kind = "users")
{
    public override string ToString() =>
        $"{Users:N0} {Kind} compared, {Mismatched:N0} differ; events counted: reference {EventsReferenced:N0}, Redis {EventsInRedis:N0}" +
        (Examples.Count > 0 ? "; e.g. " + string.Join(" | ", Examples) : "");
}

/// <summary>
/// Replays the delivered events through fresh in-memory <see cref="UserFeatureState"/>s (each event once, in partition
/// order) and compares every user's whole feature vector with the state the engine left in Redis, read at the same
/// time. A lost event or an event counted twice changes a count, so it shows.
/// </summary>
public static class FeatureCheck
{
    public static async Task<FeatureComparison> CompareUsersAsync(IConnectionMultiplexer redis, IReadOnlyList<(ClickEvent Event, EventPosition Position)> delivered)
    {
        var options = new FeatureStoreOptions();
        var reference = new ScenarioStates(options.AllowedLateness).Apply(delivered.OrderBy(d => d.Position.Partition).ThenBy(d => d.Position.Offset));
        using var metrics = new FeatureMetrics();
        var store = new FeatureStore(redis, options, metrics);
        var now = delivered.Max(d => d.Event.EventTime).ToUnixTimeMilliseconds();
        var names = FeatureNames.User;
        var totals = names.Select((n, i) => (n, i)).Where(x => x.n.EndsWith("_7d", StringComparison.Ordinal) && FeatureNames.EventTypes.Any(t => x.n == t + "_7d")).Select(x => x.i).ToArray();
        var ids = reference.Users.Keys.Order(StringComparer.Ordinal).ToList();
        var stored = await store.LoadManyAsync(EntityKind.User, ids, id => new UserFeatureState(id, options.AllowedLateness));
        var (mismatched, inRedis, inReference, examples) = (0, 0L, 0L, new List<string>());
        var expected = new float[names.Count];
        var actual = new float[names.Count];
        for (var u = 0; u < ids.Count; u++)
        {
            UserFeatures.All.Read(reference.Users[ids[u]], now, expected);
            UserFeatures.All.Read(stored[u], now, actual);
            inReference += totals.Sum(i => (long)expected[i]);
            inRedis += totals.Sum(i => (long)actual[i]);
            var differing = Enumerable.Range(0, names.Count).Where(i => Math.Abs(expected[i] - actual[i]) > 1e-3 + 1e-5 * Math.Abs(expected[i])).ToList();
            if (differing.Count == 0) continue;
            mismatched++;
            if (examples.Count < 5)
                examples.Add($"{ids[u]}: " + string.Join(", ", differing.Take(4).Select(i => $"{names[i]} expected {expected[i]} got {actual[i]}")));
        }
        return new FeatureComparison(ids.Count, mismatched, inReference, inRedis, examples);
    }

    /// <summary>
    /// The same for items (issue #3: the user pipeline keeps their slices): every item's popularity vector and neighbours
    /// as read from Redis (slices summed) against the reference's slices of the same events; the event totals are the
    /// 24 h views, cart adds and purchases summed over items.
    /// </summary>
    public static async Task<FeatureComparison> CompareItemsAsync(IConnectionMultiplexer redis, IReadOnlyList<(ClickEvent Event, EventPosition Position)> delivered)
    {
        var reference = Reference(delivered.OrderBy(d => d.Position.Partition).ThenBy(d => d.Position.Offset)).Items;
        var totals = FeatureNames.Item.Select((n, i) => (n, i)).Where(x => x.n.EndsWith("_24h", StringComparison.Ordinal)).Select(x => x.i).ToArray();
        return await CompareAsync("items", reference, (store, id) => store.LoadItemAsync(id), ItemFeatures.All, FeatureNames.Item, totals, delivered, redis,
            (want, got) =>
            {
                var (expected, actual) = (want.Neighbours.Top(ItemFeatureState.NeighboursKept), got.Neighbours.Top(ItemFeatureState.NeighboursKept));
                return expected.SequenceEqual(actual) ? null : $"neighbours expected {string.Join(' ', expected)} got {string.Join(' ', actual)}";
            });
    }

    /// <summary>
    /// The same for campaigns, fed by the user stream's forwards (a replay sends them again): every campaign's delivery
    /// vector and total spend against the reference; the event totals are the 24 h impressions, clicks and conversions
    /// summed over campaigns.
    /// </summary>
    public static async Task<FeatureComparison> CompareCampaignsAsync(IConnectionMultiplexer redis, IReadOnlyList<(ClickEvent Event, EventPosition Position)> delivered)
    {
        // In event time: a campaign's events come from every partition, which the engine reads side by side (the events'
        // time follows their production, so none is late that way; partition after partition would make most of them late).
        var reference = Reference(delivered.OrderBy(d => d.Event.EventTime).ThenBy(d => d.Position.Partition).ThenBy(d => d.Position.Offset)).Campaigns;
        var totals = new[] { "impressions_24h", "clicks_24h", "conversions_24h" }.Select(n => FeatureNames.Campaign.ToList().IndexOf(n)).ToArray();
        return await CompareAsync("campaigns", reference, (store, id) => store.LoadCampaignAsync(id), CampaignFeatures.All, FeatureNames.Campaign, totals,
            delivered, redis,
            (want, got) => Math.Abs(want.SpentTotal - got.SpentTotal) <= 1e-6 * Math.Max(1, want.SpentTotal) ? null
                : $"spent_total expected {want.SpentTotal:0.###} got {got.SpentTotal:0.###}");
    }

    private static ScenarioStates Reference(IEnumerable<(ClickEvent Event, EventPosition Position)> ordered) =>
        new ScenarioStates(new FeatureStoreOptions().AllowedLateness).Apply(ordered);

    /// <summary>Each reference state against the one loaded from Redis: its feature vector read at the last event's time, and <paramref name="alsoDiffers"/>.</summary>
    private static async Task<FeatureComparison> CompareAsync<TState>(string kind, IReadOnlyDictionary<string, TState> reference,
        Func<FeatureStore, string, Task<TState>> load, FeatureSchema<TState> schema, IReadOnlyList<string> names, int[] totals,
        IReadOnlyList<(ClickEvent Event, EventPosition Position)> delivered, IConnectionMultiplexer redis, Func<TState, TState, string?> alsoDiffers)
    {
        using var metrics = new FeatureMetrics();
        var store = new FeatureStore(redis, new FeatureStoreOptions(), metrics);
        var now = delivered.Max(d => d.Event.EventTime).ToUnixTimeMilliseconds();
        var (mismatched, inRedis, inReference, examples) = (0, 0L, 0L, new List<string>());
        var expected = new float[names.Count];
        var actual = new float[names.Count];
        foreach (var (id, state) in reference.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var stored = await load(store, id);
            schema.Read(state, now, expected);
            schema.Read(stored, now, actual);
            inReference += totals.Sum(i => (long)expected[i]);
            inRedis += totals.Sum(i => (long)actual[i]);
            var differing = Enumerable.Range(0, names.Count).Where(i => Math.Abs(expected[i] - actual[i]) > 1e-3 + 1e-5 * Math.Abs(expected[i]))
                .Select(i => $"{names[i]} expected {expected[i]} got {actual[i]}").ToList();
            if (alsoDiffers(state, stored) is { } other) differing.Add(other);
            if (differing.Count == 0) continue;
            mismatched++;
            if (examples.Count < 5) examples.Add($"{id}: " + string.Join(", ", differing.Take(4)));
        }
        return new FeatureComparison(reference.Count, mismatched, inReference, inRedis, examples, kind);
    }
}
