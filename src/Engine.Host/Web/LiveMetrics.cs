using Engine.Host.Telemetry;

namespace Engine.Host.Web;

/// <summary>
/// The key figures the live page shows, sent once a second; the lag and Redis's round trip are null while unknown (no
/// answer); the latency percentiles are of the decisions of the last 10 s (<see cref="RecentLatency"/>), 0 when none.
/// </summary>
public sealed record LiveMetrics(
    long EventsIn, double EventsPerSecond, long? ConsumerLag, double P50Ms, double P99Ms, long Recommendations, long BidDecisions,
    long BidAdjustments, long ChurnAlerts, long DeadLettered, long ActiveUsers, double? RedisRoundTripMs, bool Ready)
{
    /// <param name="previous">The last snapshot sent and when, to turn counts into a rate.</param>
    /// <param name="latency">The node's decision latency over its last samples; sampled here, so once per call.</param>
    public static LiveMetrics Read(NodeMonitor monitor, (long EventsIn, long Ticks) previous, long nowTicks, RecentLatency? latency)
    {
        var readings = monitor.Readings;
        var ready = monitor.Readiness().Ready;
        if (monitor.Node is not { } node)
            return new(0, 0, null, 0, 0, 0, 0, 0, 0, 0, 0, readings.RedisRoundTripMs, ready);
        var (users, d) = (node.UserCounters, node.Decisions);
        var seconds = Math.Max(0.001, (nowTicks - previous.Ticks) / 1000.0);
        var (p50, p99, _) = latency?.Sample() ?? default;
        return new(
            users.Consumed, Math.Round(Math.Max(0, users.Consumed - previous.EventsIn) / seconds), readings.Lag?.Sum(l => l.Lag),
            p50, p99, d.Recommendations, d.BidDecisions, d.BidAdjustments, d.ChurnAlerts,
            users.DeadLettered + node.CampaignCounters.DeadLettered, readings.UserEntities, readings.RedisRoundTripMs is { } ms ? Math.Round(ms, 2) : null, ready);
    }
}
