using System.Diagnostics.Tracing;
using HdrHistogram;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// How long each stop-the-world pause lasted (the runtime's SuspendEEBegin to RestartEEEnd events), per phase: at a
/// fixed input rate, events queue behind a pause, so its length, not the pauses' share of time, sets the p99. Counts
/// every suspension of the runtime (nearly all are GCs). Informational GC events come a few per collection.
/// </summary>
internal sealed class GcPauses : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int RestartEEEndId = 3, HeapStatsId = 4, SuspendEEEndId = 8, SuspendEEBeginId = 9;

    private readonly Lock _lock = new();
    private readonly LongHistogram _micros = new(TimeSpan.FromMinutes(1).Ticks / 10, 3);
    private readonly LongHistogram _suspendingMicros = new(TimeSpan.FromMinutes(1).Ticks / 10, 3);
    private long _suspendedAtTicks;
    private long _promotedFromGen0, _collections;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == RuntimeSource) EnableEvents(source, EventLevel.Informational, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventId)
        {
            case SuspendEEBeginId:
                _suspendedAtTicks = e.TimeStamp.Ticks;
                break;
            case HeapStatsId when e.Payload is { } payload && e.PayloadNames is { } names && names.IndexOf("TotalPromotedSize0") is var i and >= 0:
                lock (_lock)
                {
                    _promotedFromGen0 += Convert.ToInt64(payload[i], System.Globalization.CultureInfo.InvariantCulture);
                    _collections++;
                }
                break;
            case SuspendEEEndId when _suspendedAtTicks != 0:
                lock (_lock) _suspendingMicros.RecordValue(Math.Clamp((e.TimeStamp.Ticks - _suspendedAtTicks) / 10, 0, _suspendingMicros.HighestTrackableValue));
                break;
            case RestartEEEndId when _suspendedAtTicks != 0:
                var micros = Math.Max(0, (e.TimeStamp.Ticks - _suspendedAtTicks) / 10);
                _suspendedAtTicks = 0;
                lock (_lock) _micros.RecordValue(Math.Min(micros, _micros.HighestTrackableValue));
                break;
        }
    }

    /// <summary>The pauses since the last call: how many, p99 and longest, in ms.</summary>
    public GcPauseLengths TakeAndReset()
    {
        lock (_lock)
        {
            var h = _micros;
            if (h.TotalCount == 0) return new GcPauseLengths(0, 0, 0, 0, 0);
            var lengths = new GcPauseLengths(h.TotalCount, Math.Round(h.GetValueAtPercentile(99) / 1000.0, 1), Math.Round(h.GetMaxValue() / 1000.0, 1),
                Math.Round(_suspendingMicros.GetMaxValue() / 1000.0, 1), _collections == 0 ? 0 : Math.Round(_promotedFromGen0 / 1e6 / _collections, 1));
            h.Reset();
            _suspendingMicros.Reset();
            (_promotedFromGen0, _collections) = (0, 0);
            return lengths;
        }
    }
}

/// <summary>Stop-the-world pauses of one phase: how many, and the p99 and longest, in ms.</summary>
/// <param name="MaxSuspendingMs">The longest wait for every thread to stop, at the start of a pause.</param>
/// <param name="PromotedMbPerGc">MB that survived gen0, per collection: what a pause copies (the length follows it only in part: round 7).</param>
internal readonly record struct GcPauseLengths(long Count, double P99Ms, double MaxMs, double MaxSuspendingMs, double PromotedMbPerGc);
