namespace Engine.Host.Demo;

/// <summary>What a demo run counted; written as JSON (snake_case) with <c>--summary FILE</c>.</summary>
public sealed record DemoSummary(
    long EventsProduced,
    long EventsIn,
    double EventsPerSec,
    DecisionCountsSummary Decisions,
    long DeadLettered,
    long LateBidsDropped,
    long FeatureFlushes,
    long FlushRetries,
    LatencySummary LatencyMs,
    double Seconds,
    Engine.Models.Fairness.FairnessReport? Fairness = null);

public sealed record DecisionCountsSummary(long Recommendations, long BidDecisions, long BidAdjustments, long ChurnAlerts);

/// <summary>Event (arrival in Kafka) to decision (acknowledged by Kafka), in milliseconds.</summary>
public sealed record LatencySummary(double P50, double P99, double P999);
