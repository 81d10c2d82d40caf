namespace Engine.Host.Demo;

/// <summary>What a demo run counted; written as JSON with <c>--summary FILE</c>.</summary>
public sealed record DemoSummary(
    long EventsProduced,
    long EventsIn,
    double EventsPerSec,
    long Applied,
    long DeadLettered,
    long FeatureFlushes,
    long FlushRetries,
    double Seconds);
