using Engine.Models.Contracts;
using Engine.Models.Features.State;

namespace Engine.Models.Features;

/// <summary>The user features, in <see cref="FeatureNames.User"/> order. docs/features.md explains each one.</summary>
public static class UserFeatures
{
    private static readonly (string Name, BucketsOf Buckets)[] Windows =
        [("5m", new(s => s.Minutes, 5)), ("1h", new(s => s.Minutes, 60)), ("24h", new(s => s.Hours, 24)), ("7d", new(s => s.Hours, 168))];

    public static IReadOnlyList<FeatureDefinition<UserFeatureState>> Definitions { get; } =
    [
        .. Enum.GetValues<EventType>().SelectMany(type => Windows.Select(w =>
            Define($"{FeatureNames.EventTypes[(int)type]}_{w.Name}", w.Name, "count", w.Buckets.Sum((int)type)))),
        Define("distinct_categories_24h", "24h", "distinct count", (s, now) => s.Categories.Count(0, 24, now)),
        Define("spend_30d", "30d", "sum", (s, now) => s.Days.Sum(0, 30, now)),
        Define("orders_30d", "30d", "count", (s, now) => s.Days.Sum(1, 30, now)),
        Define("avg_order_value_30d", "30d", "ratio", (s, now) =>
            s.Days.Sum(1, 30, now) is var orders and > 0 ? s.Days.Sum(0, 30, now) / orders : 0),
        Define("seconds_since_last_event", "-", "recency", (s, now) => SecondsSince(s.LastEventMs, now)),
        Define("seconds_since_last_purchase", "-", "recency", (s, now) => SecondsSince(s.LastPurchaseMs, now)),
        Define("sessions_7d", "7d", "distinct count", (s, now) => s.Sessions.Count(0, 168, now)),
        Define("cart_adds_without_purchase_24h", "24h", "distinct count", (s, now) => s.CartItems.Count(0, 24, now, notKind: 1)),
        Define("ad_impressions_24h", "24h", "count", (s, now) => s.Hours.Sum((int)EventType.AdImpression, 24, now)),
        Define("ad_clicks_24h", "24h", "count", (s, now) => s.Hours.Sum((int)EventType.AdClick, 24, now)),
    ];

    public static FeatureSchema<UserFeatureState> Schema(IReadOnlyList<string> names) => FeatureSchema<UserFeatureState>.Compile(Definitions, names);

    /// <summary>The whole vector in <see cref="FeatureNames.User"/> order.</summary>
    public static FeatureSchema<UserFeatureState> All { get; } = Schema(FeatureNames.User);

    /// <summary>Seconds from <paramref name="thenMs"/> to <paramref name="nowMs"/>, capped at the retention (also for "never").</summary>
    public static double SecondsSince(long thenMs, long nowMs) =>
        thenMs == EntityFeatureState.NoEvent ? Resolutions.MaxSecondsSince : Math.Min((nowMs - thenMs) / 1000.0, Resolutions.MaxSecondsSince);

    private static FeatureDefinition<UserFeatureState> Define(string name, string window, string aggregation, Func<UserFeatureState, long, double> compute) =>
        new(name, "user", window, aggregation, compute);

    private sealed record BucketsOf(Func<UserFeatureState, BucketSeries> Series, int Count)
    {
        public Func<UserFeatureState, long, double> Sum(int metric) => (s, now) => Series(s).Sum(metric, Count, now);
    }
}
