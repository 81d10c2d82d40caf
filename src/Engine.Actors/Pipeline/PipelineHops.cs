using HdrHistogram;

namespace Engine.Actors.Pipeline;

/// <summary>The hops of an event on its way to a decision, each timed from the stamp of the hop before.</summary>
public enum Hop
{
    /// <summary>Kafka's record timestamp (its produce time) to the poll thread taking it from librdkafka: the producer's linger, the broker, the fetch wait.</summary>
    KafkaToPoll,
    /// <summary>Polled to the stream taking it in, decoded: the hand-off from the poll thread to the stream and the stream's demand.</summary>
    PollToStream,
    /// <summary>Taken in to its entity's reply: the ask round trip, the actor's mailbox and its work.</summary>
    StreamToReply,
    /// <summary>Reply to its batch being emitted: waiting behind earlier asks of the partition (order kept) and for the batch.</summary>
    ReplyToBatch,
    /// <summary>Batch emitted to its decisions acknowledged by Kafka.</summary>
    BatchToProduced,
    /// <summary>Batch emitted to its feature changes acknowledged by Redis (and its churn checks scheduled).</summary>
    BatchToDurable,
    /// <summary>End to end: Kafka timestamp to decisions acknowledged (the event-to-decision latency).</summary>
    KafkaToProduced,
    /// <summary>Kafka timestamp to features durable: when the offset may be committed, once its decisions are acknowledged too.</summary>
    KafkaToDurable,
}

/// <summary>When one event that caused decisions passed the stream's first hops (UTC; Kafka stamps milliseconds).</summary>
public readonly record struct EventStamps(DateTime KafkaUtc, DateTime PolledUtc, DateTime ReceivedUtc, DateTime RepliedUtc);

/// <summary>
/// Per-hop latency of the events that caused decisions (microseconds, HdrHistogram; exported as <c>engine.pipeline.hop</c>):
/// a few clock reads and histogram increments per such event, cheap enough to stay on. Thread-safe.
/// </summary>
public sealed class PipelineHops
{
    private readonly LongConcurrentHistogram[] _hops =
        Enum.GetValues<Hop>().Select(_ => new LongConcurrentHistogram(1, TimeStamp.Hours(1), 3)).ToArray();

    public HistogramBase this[Hop hop] => _hops[(int)hop];

    public void Reset()
    {
        foreach (var hop in _hops) hop.Reset();
    }

    /// <summary>The hops up to the batch, once its decisions are acknowledged.</summary>
    internal void Produced(IReadOnlyList<EventStamps> events, DateTime batchedUtc, DateTime producedUtc)
    {
        foreach (var e in events)
        {
            Record(Hop.KafkaToPoll, e.PolledUtc - e.KafkaUtc);
            Record(Hop.PollToStream, e.ReceivedUtc - e.PolledUtc);
            Record(Hop.StreamToReply, e.RepliedUtc - e.ReceivedUtc);
            Record(Hop.ReplyToBatch, batchedUtc - e.RepliedUtc);
            Record(Hop.BatchToProduced, producedUtc - batchedUtc);
            Record(Hop.KafkaToProduced, producedUtc - e.KafkaUtc);
        }
    }

    /// <summary>The hops of a batch's features, once Redis acknowledged them.</summary>
    internal void Durable(IReadOnlyList<EventStamps> events, DateTime batchedUtc, DateTime durableUtc)
    {
        foreach (var e in events)
        {
            Record(Hop.BatchToDurable, durableUtc - batchedUtc);
            Record(Hop.KafkaToDurable, durableUtc - e.KafkaUtc);
        }
    }

    /// <summary>The hop's name in reports and metrics: KafkaToPoll -> kafka_to_poll.</summary>
    public static string Name(Hop hop) =>
        string.Concat(hop.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    // Kafka's millisecond stamp can be a little after a microsecond clock read of the same moment (clamped at 1 us); an
    // event older than the histogram holds is clamped at its top (Telemetry.PipelineInstruments.Micros).
    private void Record(Hop hop, TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.FromMicroseconds(1)) elapsed = TimeSpan.FromMicroseconds(1);
        _hops[(int)hop].RecordValue(Telemetry.PipelineInstruments.Micros(_hops[(int)hop], elapsed));
        Telemetry.PipelineInstruments.RecordHop(hop, elapsed);
    }
}
