using System.Diagnostics.Metrics;
using Engine.Actors.Pipeline;

namespace Engine.Actors.Telemetry;

/// <summary>
/// Event-to-decision latency, whole and by hop, as OpenTelemetry histograms on the <c>Engine.Pipeline</c> meter (the host
/// exports them to Prometheus), beside the HdrHistograms the console, summaries and benchmarks read. One static meter, as .NET advises for library instruments.
/// </summary>
public static class PipelineInstruments
{
    public const string MeterName = "Engine.Pipeline";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> DecisionLatency = Meter.CreateHistogram<double>(
        "engine.decision.latency", "ms", "From an event's arrival in Kafka to its decisions being acknowledged by Kafka",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000] });

    private static readonly Histogram<double> HopLatency = Meter.CreateHistogram<double>(
        "engine.pipeline.hop", "ms", "The same events' latency split by hop (label hop: kafka_to_poll, poll_to_stream, stream_to_reply, " +
                                     "reply_to_batch, batch_to_produced, batch_to_durable, kafka_to_durable; docs/operations.md)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000, 30000] });

    // One label per hop, made once: recording with it allocates nothing.
    private static readonly KeyValuePair<string, object?>[] HopLabels =
        Enum.GetValues<Hop>().Select(hop => new KeyValuePair<string, object?>("hop", PipelineHops.Name(hop))).ToArray();

    /// <summary>Records one event's latency in both the node's HdrHistogram and the exported histogram.</summary>
    public static void RecordLatency(DecisionCounters counters, TimeSpan latency)
    {
        counters.LatencyMicros.RecordValue(Micros(counters.LatencyMicros, latency));
        DecisionLatency.Record(latency.TotalMilliseconds);
    }

    /// <summary>
    /// A latency as a value the histogram can hold: at least 1 us, at most its highest trackable value (~50 days). An event
    /// older than that (a new group reading a long retention from its start, a producer stamping seconds as milliseconds)
    /// threw out of the histogram, failed the stream, and failed it again at every restart on the same record.
    /// </summary>
    internal static long Micros(HdrHistogram.HistogramBase histogram, TimeSpan latency) =>
        Math.Clamp((long)latency.TotalMicroseconds, 1, histogram.HighestTrackableValue);

    /// <summary>Exports one hop of one event (the end-to-end total is <c>engine.decision.latency</c>, not repeated here).</summary>
    internal static void RecordHop(Hop hop, TimeSpan elapsed)
    {
        if (hop != Hop.KafkaToProduced) HopLatency.Record(elapsed.TotalMilliseconds, HopLabels[(int)hop]);
    }
}
