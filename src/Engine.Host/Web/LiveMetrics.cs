using Engine.Host.Telemetry;

namespace Engine.Host.Web;

/// <summary>
/// The key figures the live page shows, sent once a second; the lag and Redis's round trip are null while unknown (no
/// answer), as are the rate on the first second and the active users when not counted; the latency percentiles are of
/// the decisions of the last 10 s (<see cref="RecentLatency"/>), null when none (idle, or stalled: the status says which). <see cref="Status"/> says what is failing
/// when the node is not ready (before 2026-12-07 the page said "starting" for a node running for hours with Redis down).
/// </summary>
public sealed record LiveMetrics(
    long EventsIn, double? EventsPerSecond, long? ConsumerLag, double? P50Ms, double? P99Ms, long Recommendations, long BidDecisions,
    long BidAdjustments, long ChurnAlerts, long DeadLettered, long? ActiveUsers, double? RedisRoundTripMs, bool Ready, string Status)
{
    /// <summary>Shorter than this since the last snapshot (the first, taken as the page connected): no rate yet.</summary>
    private const long MinRateMs = 500;

    /// <param name="previous">The last snapshot sent and when, to turn counts into a rate.</param>
    /// <param name="latency">The node's decision latency over its last samples; sampled here, so once per call.</param>
    public static LiveMetrics Read(NodeMonitor monitor, (long EventsIn, long Ticks) previous, long nowTicks, RecentLatency? latency)
    {
        var readings = monitor.Readings;
        var readiness = monitor.Readiness();
        if (monitor.Node is not { } node)
            return new(0, null, null, null, null, 0, 0, 0, 0, 0, null, readings.RedisRoundTripMs, readiness.Ready, readiness.Describe());
        var (users, d) = (node.UserCounters, node.Decisions);
        var elapsedMs = nowTicks - previous.Ticks;
        double? rate = elapsedMs < MinRateMs ? null : Math.Round(Math.Max(0, users.Consumed - previous.EventsIn) / (elapsedMs / 1000.0));
        var (p50, p99, _) = latency?.Sample() ?? default;
        return new(
            users.Consumed, rate, readings.Lag?.Sum(l => l.Lag),
            p50, p99, d.Recommendations, d.BidDecisions, d.BidAdjustments, d.ChurnAlerts,
            users.DeadLettered + node.CampaignCounters.DeadLettered, readings.UserEntities >= 0 ? readings.UserEntities : null,
            readings.RedisRoundTripMs is { } ms ? Math.Round(ms, 2) : null, readiness.Ready, readiness.Describe());
    }
}
