using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Testing.Features;

/// <summary>
/// The feature definitions of docs/features.md computed the slow, obvious way from the list of accepted events,
/// independent of the bucketed state: the oracle the property tests compare against.
/// </summary>
public static class ReferenceFeatures
{
    private const long Minute = 60_000, Hour = 3_600_000, Day = 86_400_000, TenSeconds = 10_000;
    private const double Cap = 30 * 86_400;

    /// <summary>
    /// The events an entity counts: first deliveries only (a position seen before is a replay), belonging to it,
    /// and not older than its latest counted event minus the lateness.
    /// </summary>
    public static List<ClickEvent> Accepted(IEnumerable<(ClickEvent Event, EventPosition Position)> deliveries, Func<ClickEvent, bool> belongs, TimeSpan lateness)
    {
        var seen = new HashSet<EventPosition>();
        var accepted = new List<ClickEvent>();
        long? watermark = null;
        foreach (var (e, position) in deliveries)
        {
            if (!seen.Add(position) || !belongs(e)) continue;
            var t = e.EventTime.ToUnixTimeMilliseconds();
            if (watermark is { } w && t < w - (long)lateness.TotalMilliseconds) continue;
            accepted.Add(e);
            watermark = Math.Max(watermark ?? long.MinValue, t);
        }
        return accepted;
    }

    /// <summary>
    /// What an item counts: each partition's slice accepts by its own clock (lateness relative to that partition's
    /// latest event of the item), and the item is the sum of its slices.
    /// </summary>
    public static List<ClickEvent> AcceptedBySlice(IEnumerable<(ClickEvent Event, EventPosition Position)> deliveries, Func<ClickEvent, bool> belongs, TimeSpan lateness) =>
        [.. deliveries.GroupBy(d => d.Position.Partition).SelectMany(slice => Accepted(slice, belongs, lateness))];

    public static Dictionary<string, double> User(IReadOnlyList<ClickEvent> events, DateTimeOffset asOf)
    {
        var now = Now(events, asOf);
        bool In(ClickEvent e, long res, int n) => InWindow(e, now, res, n);
        var f = new Dictionary<string, double>();
        (string Name, long Res, int N)[] windows = [("5m", Minute, 5), ("1h", Minute, 60), ("24h", Hour, 24), ("7d", Hour, 168)];
        foreach (var type in Enum.GetValues<EventType>())
            foreach (var (name, res, n) in windows)
                f[$"{FeatureNames.EventTypes[(int)type]}_{name}"] = events.Count(e => e.Type == type && In(e, res, n));
        f["distinct_categories_24h"] = events.Where(e => e.Type == EventType.ProductView && e.ItemId != null && e.Category != null && In(e, Hour, 24))
            .Select(e => e.Category).Distinct().Count();
        var purchases = events.Where(e => e.Type == EventType.Purchase && In(e, Day, 30)).ToList();
        f["spend_30d"] = purchases.Sum(e => (double)(e.Price ?? 0) * (e.Quantity ?? 1));
        f["orders_30d"] = purchases.Count;
        f["avg_order_value_30d"] = purchases.Count == 0 ? 0 : f["spend_30d"] / purchases.Count;
        f["seconds_since_last_event"] = SecondsSince(events.Select(e => (long?)Ms(e)).Max(), now);
        f["seconds_since_last_purchase"] = SecondsSince(events.Where(e => e.Type == EventType.Purchase).Select(e => (long?)Ms(e)).Max(), now);
        f["sessions_7d"] = events.Where(e => e.SessionId != null && In(e, Hour, 168)).Select(e => e.SessionId).Distinct().Count();
        var carted = events.Where(e => e.Type == EventType.AddToCart && In(e, Hour, 24)).Select(e => e.ItemId).ToHashSet();
        var bought = events.Where(e => e.Type == EventType.Purchase && In(e, Hour, 24)).Select(e => e.ItemId).ToHashSet();
        f["cart_adds_without_purchase_24h"] = carted.Count(i => !bought.Contains(i));
        f["ad_impressions_24h"] = events.Count(e => e.Type == EventType.AdImpression && In(e, Hour, 24));
        f["ad_clicks_24h"] = events.Count(e => e.Type == EventType.AdClick && In(e, Hour, 24));
        return f;
    }

    public static Dictionary<string, double> Campaign(IReadOnlyList<ClickEvent> events, DateTimeOffset asOf)
    {
        var now = Now(events, asOf);
        var f = new Dictionary<string, double>();
        (string Name, long Res, int N)[] windows = [("1m", TenSeconds, 6), ("15m", Minute, 15), ("1h", Minute, 60), ("24h", Hour, 24)];
        foreach (var (name, res, n) in windows)
        {
            var inWindow = events.Where(e => InWindow(e, now, res, n)).ToList();
            f[$"impressions_{name}"] = inWindow.Count(e => e.Type == EventType.AdImpression);
            f[$"clicks_{name}"] = inWindow.Count(e => e.Type == EventType.AdClick);
            f[$"conversions_{name}"] = inWindow.Count(e => e.Type == EventType.Purchase);
            f[$"spend_{name}"] = inWindow.Where(e => e.Type is EventType.AdImpression or EventType.AdClick).Sum(e => (double)(e.Price ?? 0));
        }
        f["smoothed_ctr_24h"] = (f["clicks_24h"] + 1) / (f["impressions_24h"] + 100);
        f["smoothed_cvr_24h"] = (f["conversions_24h"] + 1) / (f["clicks_24h"] + 20);
        return f;
    }

    public static Dictionary<string, double> Item(IReadOnlyList<ClickEvent> events, DateTimeOffset asOf)
    {
        var now = Now(events, asOf);
        var f = new Dictionary<string, double>();
        foreach (var (name, type) in new[] { ("views", EventType.ProductView), ("carts", EventType.AddToCart), ("purchases", EventType.Purchase) })
        {
            f[$"{name}_1h"] = events.Count(e => e.Type == type && InWindow(e, now, Minute, 60));
            f[$"{name}_24h"] = events.Count(e => e.Type == type && InWindow(e, now, Hour, 24));
        }
        return f;
    }

    /// <summary>Reads happen at the later of the requested time and the latest counted event.</summary>
    private static long Now(IReadOnlyList<ClickEvent> events, DateTimeOffset asOf) =>
        Math.Max(asOf.ToUnixTimeMilliseconds(), events.Count == 0 ? long.MinValue : events.Max(Ms));

    private static bool InWindow(ClickEvent e, long now, long res, int n)
    {
        var index = Math.Floor((double)Ms(e) / res);
        var current = Math.Floor((double)now / res);
        return index > current - n && index <= current;
    }

    private static double SecondsSince(long? then, long now) => then is { } t ? Math.Min((now - t) / 1000.0, Cap) : Cap;

    private static long Ms(ClickEvent e) => e.EventTime.ToUnixTimeMilliseconds();
}
