using System.Diagnostics.Metrics;

namespace Engine.Models.Fairness;

/// <summary>
/// Score distributions by segment as a histogram on the <c>Engine.Fairness</c> meter (exported by the host to Prometheus):
/// <c>engine.fairness.score</c>, tagged with the decision kind and the user's device, region and tenure, so any one
/// dimension is a sum over the others. One static meter, as .NET advises for library instruments; free when nobody listens.
/// </summary>
public static class FairnessInstruments
{
    public const string MeterName = "Engine.Fairness";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Score = Meter.CreateHistogram<double>(
        "engine.fairness.score", null, "Scores behind decisions (top item score, predicted CTR, churn probability), by kind, device, region and tenure",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] });

    internal static void RecordScore(DecisionKind kind, double score, string device, string region, string tenure)
    {
        if (!Score.Enabled) return;
        Score.Record(score, new KeyValuePair<string, object?>("kind", KindTag(kind)), new KeyValuePair<string, object?>(FairnessMonitor.Device, device),
            new KeyValuePair<string, object?>(FairnessMonitor.Region, region), new KeyValuePair<string, object?>(FairnessMonitor.Tenure, tenure));
    }

    /// <summary>The <c>kind</c> label of every fairness metric: the same values as <c>engine_decisions_total</c>'s, so one alert rule reads both.</summary>
    public static string KindTag(DecisionKind kind) => kind switch
    {
        DecisionKind.Recommendation => "recommendation",
        DecisionKind.Bid => "bid_decision",
        _ => "churn_alert",
    };
}
