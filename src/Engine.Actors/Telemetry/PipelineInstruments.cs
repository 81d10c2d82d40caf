using System.Diagnostics.Metrics;
using Engine.Actors.Pipeline;

namespace Engine.Actors.Telemetry;

/// <summary>
/// Event-to-decision latency as an OpenTelemetry histogram on the <c>Engine.Pipeline</c> meter (the host exports it to
/// Prometheus), beside the HdrHistogram the console and summaries read. One static meter, as .NET advises for library instruments.
/// </summary>
public static class PipelineInstruments
{
    public const string MeterName = "Engine.Pipeline";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> DecisionLatency = Meter.CreateHistogram<double>(
        "engine.decision.latency", "ms", "From an event's arrival in Kafka to its decisions being acknowledged by Kafka",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000] });

    /// <summary>Records one event's latency in both the node's HdrHistogram and the exported histogram.</summary>
    public static void RecordLatency(DecisionCounters counters, TimeSpan latency)
    {
        counters.LatencyMicros.RecordValue(Math.Max(1, (long)latency.TotalMicroseconds));
        DecisionLatency.Record(latency.TotalMilliseconds);
    }
}
