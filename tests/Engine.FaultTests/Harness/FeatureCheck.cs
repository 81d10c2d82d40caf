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
        var options = new FeatureStoreOptions();
        var reference = new ScenarioStates(options.AllowedLateness).Apply(delivered.OrderBy(d => d.Position.Partition).ThenBy(d => d.Position.Offset)).Items;
        using var metrics = new FeatureMetrics();
        var store = new FeatureStore(redis, options, metrics);
        var now = delivered.Max(d => d.Event.EventTime).ToUnixTimeMilliseconds();
        var names = FeatureNames.Item;
        var totals = names.Select((n, i) => (n, i)).Where(x => x.n.EndsWith("_24h", StringComparison.Ordinal)).Select(x => x.i).ToArray();
        var (mismatched, inRedis, inReference, examples) = (0, 0L, 0L, new List<string>());
        var expected = new float[names.Count];
        var actual = new float[names.Count];
        foreach (var (id, state) in reference.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var stored = await store.LoadItemAsync(id);
            ItemFeatures.All.Read(state, now, expected);
            ItemFeatures.All.Read(stored, now, actual);
            inReference += totals.Sum(i => (long)expected[i]);
            inRedis += totals.Sum(i => (long)actual[i]);
            var differing = Enumerable.Range(0, names.Count).Where(i => Math.Abs(expected[i] - actual[i]) > 1e-3).Select(i => $"{names[i]} expected {expected[i]} got {actual[i]}").ToList();
            var (want, got) = (state.Neighbours.Top(ItemFeatureState.NeighboursKept), stored.Neighbours.Top(ItemFeatureState.NeighboursKept));
            if (!want.SequenceEqual(got)) differing.Add($"neighbours expected {string.Join(' ', want)} got {string.Join(' ', got)}");
            if (differing.Count == 0) continue;
            mismatched++;
            if (examples.Count < 5) examples.Add($"{id}: " + string.Join(", ", differing.Take(4)));
        }
        return new FeatureComparison(reference.Count, mismatched, inReference, inRedis, examples, "items");
    }

    /// <summary>
    /// The same for campaigns, fed by the user stream's forwards (a replay sends them again): every campaign's delivery
    /// vector and total spend against the reference; the event totals are the 24 h impressions, clicks and conversions
    /// summed over campaigns.
    /// </summary>
    public static async Task<FeatureComparison> CompareCampaignsAsync(IConnectionMultiplexer redis, IReadOnlyList<(ClickEvent Event, EventPosition Position)> delivered)
    {
        var options = new FeatureStoreOptions();
        // In event time: a campaign's events come from every partition, which the engine reads side by side (the events'
        // time follows their production, so none is late that way; partition after partition would make most of them late).
        var reference = new ScenarioStates(options.AllowedLateness).Apply(delivered.OrderBy(d => d.Event.EventTime).ThenBy(d => d.Position.Partition).ThenBy(d => d.Position.Offset)).Campaigns;
        using var metrics = new FeatureMetrics();
        var store = new FeatureStore(redis, options, metrics);
        var now = delivered.Max(d => d.Event.EventTime).ToUnixTimeMilliseconds();
        var names = FeatureNames.Campaign;
        string[] counted = ["impressions_24h", "clicks_24h", "conversions_24h"];
        var totals = counted.Select(n => names.ToList().IndexOf(n)).ToArray();
        var (mismatched, inRedis, inReference, examples) = (0, 0L, 0L, new List<string>());
        var expected = new float[names.Count];
        var actual = new float[names.Count];
        foreach (var (id, state) in reference.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var stored = await store.LoadCampaignAsync(id);
            CampaignFeatures.All.Read(state, now, expected);
            CampaignFeatures.All.Read(stored, now, actual);
            inReference += totals.Sum(i => (long)expected[i]);
            inRedis += totals.Sum(i => (long)actual[i]);
            var differing = Enumerable.Range(0, names.Count).Where(i => Math.Abs(expected[i] - actual[i]) > 1e-3 + 1e-5 * Math.Abs(expected[i]))
                .Select(i => $"{names[i]} expected {expected[i]} got {actual[i]}").ToList();
            if (Math.Abs(state.SpentTotal - stored.SpentTotal) > 1e-6 * Math.Max(1, state.SpentTotal))
                differing.Add($"spent_total expected {state.SpentTotal:0.###} got {stored.SpentTotal:0.###}");
            if (differing.Count == 0) continue;
            mismatched++;
            if (examples.Count < 5) examples.Add($"{id}: " + string.Join(", ", differing.Take(4)));
        }
        return new FeatureComparison(reference.Count, mismatched, inReference, inRedis, examples, "campaigns");
    }
}
