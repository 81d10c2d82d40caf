using System.Diagnostics.Metrics;

namespace Engine.Models.Fairness;

/// <summary>
/// Score distributions by segment as a histogram on the <c>Engine.Fairness</c> meter (exported by the host to Prometheus):
/// <c>engine.fairness.score</c>, tagged with the decision kind, a dimension (device, region, tenure) and the user's segment in
/// it, as the fairness counters are: each score is recorded once per dimension, so a dimension's segments add up to the whole.
/// Tagged with all three segments at once (before 2026-12-06), the series multiplied: up to 3 x 65 x 65 x 2 label sets, each
/// with its buckets. One static meter, as .NET advises for library instruments; free when nobody listens.
/// </summary>
public static class FairnessInstruments
{
    public const string MeterName = "Engine.Fairness";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Score = Meter.CreateHistogram<double>(
        "engine.fairness.score", null, "Scores behind decisions (top item score, predicted CTR, churn probability), by kind, dimension (device, region, tenure) and segment; each score once per dimension",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] });

    internal static void RecordScore(DecisionKind kind, double score, string device, string region, string tenure)
    {
        if (!Score.Enabled) return;
        var kindTag = new KeyValuePair<string, object?>("kind", KindTag(kind));
        Score.Record(score, kindTag, new("dimension", FairnessMonitor.Device), new("segment", device));
        Score.Record(score, kindTag, new("dimension", FairnessMonitor.Region), new("segment", region));
        Score.Record(score, kindTag, new("dimension", FairnessMonitor.Tenure), new("segment", tenure));
    }

    /// <summary>The <c>kind</c> label of every fairness metric: the same values as <c>engine_decisions_total</c>'s, so one alert rule reads both.</summary>
    public static string KindTag(DecisionKind kind) => kind switch
    {
        DecisionKind.Recommendation => "recommendation",
        DecisionKind.Bid => "bid_decision",
        _ => "churn_alert",
    };
}
