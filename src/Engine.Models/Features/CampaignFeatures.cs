using Engine.Models.Features.State;

namespace Engine.Models.Features;

/// <summary>The campaign features, in <see cref="FeatureNames.Campaign"/> order. docs/features.md explains each one.</summary>
public static class CampaignFeatures
{
    /// <summary>Beta prior for CTR: 1% over 100 pseudo-impressions, so a new campaign reads about 1%, not 0 or 1.</summary>
    public const double PriorCtr = 0.01, PriorImpressions = 100;
    /// <summary>Beta prior for CVR (conversions per click): 5% over 20 pseudo-clicks.</summary>
    public const double PriorCvr = 0.05, PriorClicks = 20;

    private static readonly (string Name, Func<CampaignFeatureState, BucketSeries> Series, int Count)[] Windows =
        [("1m", s => s.TenSeconds, 6), ("15m", s => s.Minutes, 15), ("1h", s => s.Minutes, 60), ("24h", s => s.Hours, 24)];

    private static readonly (string Name, int Metric, string Aggregation)[] Metrics =
    [
        ("impressions", CampaignFeatureState.Impressions, "count"), ("clicks", CampaignFeatureState.Clicks, "count"),
        ("conversions", CampaignFeatureState.Conversions, "count"), ("spend", CampaignFeatureState.Spend, "sum"),
    ];

    public static IReadOnlyList<FeatureDefinition<CampaignFeatureState>> Definitions { get; } =
    [
        .. Metrics.SelectMany(m => Windows.Select(w => new FeatureDefinition<CampaignFeatureState>(
            $"{m.Name}_{w.Name}", "campaign", w.Name, m.Aggregation, (s, now) => w.Series(s).Sum(m.Metric, w.Count, now)))),
        new("smoothed_ctr_24h", "campaign", "24h", "beta-smoothed ratio", (s, now) => SmoothedCtr(
            s.Hours.Sum(CampaignFeatureState.Clicks, 24, now), s.Hours.Sum(CampaignFeatureState.Impressions, 24, now))),
        new("smoothed_cvr_24h", "campaign", "24h", "beta-smoothed ratio", (s, now) => SmoothedCvr(
            s.Hours.Sum(CampaignFeatureState.Conversions, 24, now), s.Hours.Sum(CampaignFeatureState.Clicks, 24, now))),
    ];

    public static FeatureSchema<CampaignFeatureState> Schema(IReadOnlyList<string> names) => FeatureSchema<CampaignFeatureState>.Compile(Definitions, names);

    public static FeatureSchema<CampaignFeatureState> All { get; } = Schema(FeatureNames.Campaign);

    public static double SmoothedCtr(double clicks, double impressions) => (clicks + PriorCtr * PriorImpressions) / (impressions + PriorImpressions);

    public static double SmoothedCvr(double conversions, double clicks) => (conversions + PriorCvr * PriorClicks) / (clicks + PriorClicks);
}
