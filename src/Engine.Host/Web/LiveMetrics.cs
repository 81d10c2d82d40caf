using Engine.Host.Telemetry;

namespace Engine.Host.Web;

/// <summary>The key figures the live page shows, sent once a second; the lag and Redis's round trip are null while unknown (no answer).</summary>
public sealed record LiveMetrics(
    long EventsIn, double EventsPerSecond, long? ConsumerLag, double P50Ms, double P99Ms, long Recommendations, long BidDecisions,
    long BidAdjustments, long ChurnAlerts, long DeadLettered, long ActiveUsers, double? RedisRoundTripMs, bool Ready)
{
    /// <param name="previous">The last snapshot sent and when, to turn counts into a rate.</param>
    public static LiveMetrics Read(NodeMonitor monitor, (long EventsIn, long Ticks) previous, long nowTicks)
    {
        var readings = monitor.Readings;
        var ready = monitor.Readiness().Ready;
        if (monitor.Node is not { } node)
            return new(0, 0, null, 0, 0, 0, 0, 0, 0, 0, 0, readings.RedisRoundTripMs, ready);
        var (users, d) = (node.UserCounters, node.Decisions);
        var seconds = Math.Max(0.001, (nowTicks - previous.Ticks) / 1000.0);
        return new(
            users.Consumed, Math.Round(Math.Max(0, users.Consumed - previous.EventsIn) / seconds), readings.Lag?.Sum(l => l.Lag),
            Millis(d.LatencyMicros, 50), Millis(d.LatencyMicros, 99), d.Recommendations, d.BidDecisions, d.BidAdjustments, d.ChurnAlerts,
            users.DeadLettered + node.CampaignCounters.DeadLettered, readings.UserEntities, readings.RedisRoundTripMs is { } ms ? Math.Round(ms, 2) : null, ready);
    }

    private static double Millis(HdrHistogram.HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 1);
}
