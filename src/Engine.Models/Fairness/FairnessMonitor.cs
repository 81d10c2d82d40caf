using System.Collections.Concurrent;
using Engine.Models.Contracts;

namespace Engine.Models.Fairness;

/// <summary>
/// Decision rates and score distributions by segment: for every segment field an event carries (device, region,
/// new vs returning), how often a chance to decide turned into a decision (a recommendation after a page event, a
/// bid placed on a bid request, a churn alert) and how the scores behind them were spread. The disparity of a
/// dimension is its lowest segment rate over its highest; under <see cref="FairnessSettings.MinDisparityRatio"/>
/// (0.8, the four-fifths rule of thumb by default) it is flagged. Thread-safe; counts only, no user ids.
/// </summary>
public sealed class FairnessMonitor(FairnessSettings settings)
{
    public const string Device = "device";
    public const string Region = "region";
    public const string Tenure = "tenure";

    private readonly ConcurrentDictionary<(string Dimension, string Segment, DecisionKind Kind), SegmentTally> _tallies = new();
    private readonly ConcurrentDictionary<string, byte> _devices = new(StringComparer.Ordinal), _regions = new(StringComparer.Ordinal);

    /// <summary>
    /// Distinct devices, and regions, counted apart; later ones count as <see cref="Other"/>. The fields are free-form: each
    /// new value added tallies (~8 KB) and a set of metric series, without bound (a client sending a version string, say).
    /// </summary>
    public const int MaxSegmentsPerDimension = 64;

    public const string Other = "other";

    public FairnessSettings Settings => settings;

    /// <summary>Counts one event as a chance to decide, and the decisions it caused, in each of its segments.</summary>
    /// <param name="returning">Whether the user had events before this one (new vs returning).</param>
    /// <param name="listLeftToLater">The engine left this page event's list to a later event of its session read with it (under a
    /// backlog): not a chance for a list, as that event's is; still one for a churn alert.</param>
    public void Observe(ClickEvent cause, bool returning, IReadOnlyList<IDecision> decisions, bool listLeftToLater = false)
    {
        var kind = Opportunity(cause.Type); // null: no chance of a list or a bid, still one of a churn alert
        var decided = false;
        double? score = null;
        ChurnAlert? alert = null;
        foreach (var decision in decisions) // one pass, no LINQ: this runs for every event on the hot path
        {
            switch (decision)
            {
                case Recommendation r when kind == DecisionKind.Recommendation:
                    decided = true;
                    score = r.Items.Count > 0 ? r.Items[0].Score : null;
                    break;
                case BidDecision b when kind == DecisionKind.Bid:
                    decided = b.Bid;
                    score = b.PredictedCtr;
                    break;
                case ChurnAlert c:
                    alert = c;
                    break;
            }
        }
        if (kind is { } chance && !(listLeftToLater && chance == DecisionKind.Recommendation)) Count(cause.Device, cause.Region, returning, chance, decided, score);
        // Every event is also a chance for a churn alert (raised when the user's probability crosses the threshold): page
        // views and ad events too, which before 2026-12-07 were left out, alerts included (a review).
        Count(cause.Device, cause.Region, returning, DecisionKind.ChurnAlert, alert is not null, alert?.Probability);
    }

    /// <summary>
    /// Counts a churn check of a silent user (the sweeper's), in the segments of their latest event: churn alerts on
    /// silence have no event of their own, yet are most of the alerts the CRM gets.
    /// </summary>
    /// <param name="returning">Whether the user's latest session was a returning one, as their actor knows it (reloaded after
    /// passivation, as a silent user's nearly always is: whether its last 7 days hold an earlier session): before
    /// 2026-12-06 every silent user counted as returning, so the tenure ratio compared alerts on silence (returning) with
    /// alerts on events alone (new) and flagged a disparity that was not there.</param>
    public void ObserveChurnCheck(string? device, string? region, bool returning, ChurnAlert? alert) =>
        Count(device, region, returning, DecisionKind.ChurnAlert, alert is not null, alert?.Probability);

    public FairnessReport Report()
    {
        var dimensions = _tallies
            .GroupBy(t => (t.Key.Dimension, t.Key.Kind))
            .Select(g =>
            {
                var segments = g.Select(t => t.Value.Snapshot(t.Key.Segment)).OrderBy(s => s.Segment, StringComparer.Ordinal).ToList();
                var eligible = segments.Where(s => s.Opportunities >= settings.MinOpportunities).ToList();
                var max = eligible.Count == 0 ? 0 : eligible.Max(s => s.Rate);
                // Rare decisions (churn alerts on events) need a few in the highest segment before their rates say anything:
                // 1 alert in 40,000 against 0 flagged a ratio of 0 before 2026-12-07 (a review).
                var enough = eligible.Count > 0 && eligible.MaxBy(s => s.Rate)!.Decisions >= settings.MinDecisions;
                double? ratio = eligible.Count < 2 || max == 0 || !enough ? null : eligible.Min(s => s.Rate) / max;
                return new DimensionReport(g.Key.Dimension, g.Key.Kind, segments, ratio, ratio < settings.MinDisparityRatio);
            })
            .OrderBy(d => d.Kind).ThenBy(d => d.Dimension, StringComparer.Ordinal)
            .ToList();
        return new FairnessReport(settings.MinDisparityRatio, dimensions);
    }

    private void Count(string? deviceField, string? regionField, bool returning, DecisionKind kind, bool decided, double? score)
    {
        var (device, region, tenure) = (Bounded(_devices, deviceField ?? Unknown), Bounded(_regions, regionField ?? Unknown), returning ? "returning" : "new");
        Tally(Device, device, kind).Add(decided, score);
        Tally(Region, region, kind).Add(decided, score);
        Tally(Tenure, tenure, kind).Add(decided, score);
        if (decided && score is { } s) FairnessInstruments.RecordScore(kind, s, device, region, tenure);
    }

    private const string Unknown = "unknown";

    private static string Bounded(ConcurrentDictionary<string, byte> known, string segment)
    {
        if (known.ContainsKey(segment)) return segment;
        if (known.Count >= MaxSegmentsPerDimension) return Other;
        known.TryAdd(segment, 0);
        return segment;
    }

    private SegmentTally Tally(string dimension, string segment, DecisionKind kind) =>
        _tallies.GetOrAdd((dimension, segment, kind), _ => new SegmentTally());

    private static DecisionKind? Opportunity(EventType type) => type switch
    {
        EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase => DecisionKind.Recommendation,
        EventType.BidRequest => DecisionKind.Bid,
        _ => null,
    };
}

public enum DecisionKind { Recommendation, Bid, ChurnAlert }

/// <param name="MinDisparityRatio">Lowest segment rate over highest below which a dimension is flagged.</param>
/// <param name="MinOpportunities">Segments with fewer chances are reported but not compared (their rate is noise).</param>
/// <param name="MinDecisions">A dimension whose highest rate rests on fewer decisions is reported but not compared (rare decisions' rates are noise).</param>
public sealed record FairnessSettings(double MinDisparityRatio = 0.8, long MinOpportunities = 100, long MinDecisions = 10);

public sealed record FairnessReport(double MinDisparityRatio, IReadOnlyList<DimensionReport> Dimensions)
{
    public IEnumerable<DimensionReport> Warnings => Dimensions.Where(d => d.Flagged);
}

/// <param name="DisparityRatio">Lowest rate over highest among segments with enough opportunities; null when fewer than two, or when the
/// highest rests on fewer than <see cref="FairnessSettings.MinDecisions"/> decisions.</param>
public sealed record DimensionReport(string Dimension, DecisionKind Kind, IReadOnlyList<SegmentReport> Segments, double? DisparityRatio, bool Flagged);

/// <param name="Rate">Decisions over opportunities.</param>
/// <param name="MeanScore">Mean score behind the decisions (top item score, predicted CTR, churn probability).</param>
/// <param name="ScoreHistogram">Decisions per tenth of the score range [0, 1].</param>
/// <param name="Quantiles">10th, 50th and 90th percentile of those scores (null without scores).</param>
public sealed record SegmentReport(string Segment, long Opportunities, long Decisions, double Rate, double? MeanScore, IReadOnlyList<long> ScoreHistogram,
    ScoreQuantiles? Quantiles = null);
