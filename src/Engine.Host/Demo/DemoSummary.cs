namespace Engine.Host.Demo;

/// <summary>
/// What a demo run counted; written as JSON (snake_case) with <c>--summary FILE</c>. <see cref="EventsIn"/> counts records
/// read, so a restarted stream's replay of its uncommitted tail counts twice; <see cref="Completed"/> says whether all were committed.
/// </summary>
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
    Engine.Models.Fairness.FairnessReport? Fairness = null)
{
    /// <summary>Simulated events Kafka did not take (the demo stops producing at the first), and the first one's reason.</summary>
    public long EventsFailed { get; init; }
    public string? FirstError { get; init; }

    /// <summary>Every event Kafka took was read and committed (false: stopped early, by Ctrl+C or a node that stopped).</summary>
    public bool Completed { get; init; }
}

public sealed record DecisionCountsSummary(long Recommendations, long BidDecisions, long BidAdjustments, long ChurnAlerts);

/// <summary>Event (arrival in Kafka) to decision (acknowledged by Kafka), in milliseconds.</summary>
public sealed record LatencySummary(double P50, double P99, double P999);
