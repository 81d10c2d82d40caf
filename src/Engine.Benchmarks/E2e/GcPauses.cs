using System.Diagnostics.Tracing;
using HdrHistogram;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// How long each stop-the-world pause lasted (the runtime's SuspendEEBegin to RestartEEEnd events), per phase: at a
/// fixed input rate, events queue behind a pause, so its length, not the pauses' share of time, sets the p99. Counts
/// every suspension of the runtime (nearly all are GCs). Informational GC events come a few per collection. Of each
/// collection also what its length follows (round 14): the bytes it reached through the cards of old objects (young
/// objects that long-lived ones point at; <c>GCMarkWithType</c>, kind "older", per heap), the time until that marking
/// ended and the time after it (plan, relocate, compact).
/// </summary>
internal sealed class GcPauses : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int GcStartId = 1, RestartEEEndId = 3, HeapStatsId = 4, SuspendEEEndId = 8, SuspendEEBeginId = 9, MarkWithTypeId = 202;
    private const uint MarkOlder = 3; // GCMarkWithType's kind for roots found through the cards of older generations

    private readonly Lock _lock = new();
    private readonly LongHistogram _micros = new(TimeSpan.FromMinutes(1).Ticks / 10, 3);
    private readonly LongHistogram _suspendingMicros = new(TimeSpan.FromMinutes(1).Ticks / 10, 3);
    private readonly LongHistogram _markingMicros = new(TimeSpan.FromMinutes(1).Ticks / 10, 3);
    private readonly LongHistogram _afterMarkingMicros = new(TimeSpan.FromMinutes(1).Ticks / 10, 3);
    private long _suspendedAtTicks;
    private long _promotedFromGen0, _collections;
    // Of the collection in progress: when it started, when its last heap finished marking through cards, what that reached.
    private long _gcStartTicks, _cardsMarkedTicks, _cardsBytes;
    private long _cardsBytesTotal, _collectionsMarked;

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
                lock (_lock) (_gcStartTicks, _cardsMarkedTicks, _cardsBytes) = (0, 0, 0);
                break;
            case GcStartId:
                lock (_lock) _gcStartTicks = e.TimeStamp.Ticks;
                break;
            case MarkWithTypeId when e.Payload is { } marked && e.PayloadNames is { } fields && fields.IndexOf("Type") is var t and >= 0 &&
                                     fields.IndexOf("Bytes") is var b and >= 0 &&
                                     Convert.ToUInt32(marked[t], System.Globalization.CultureInfo.InvariantCulture) == MarkOlder:
                lock (_lock)
                {
                    _cardsBytes += Convert.ToInt64(marked[b], System.Globalization.CultureInfo.InvariantCulture);
                    _cardsMarkedTicks = Math.Max(_cardsMarkedTicks, e.TimeStamp.Ticks);
                }
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
                lock (_lock)
                {
                    _micros.RecordValue(Math.Min(micros, _micros.HighestTrackableValue));
                    if (_gcStartTicks != 0 && _cardsMarkedTicks >= _gcStartTicks)
                    {
                        _markingMicros.RecordValue(Math.Clamp((_cardsMarkedTicks - _gcStartTicks) / 10, 0, _markingMicros.HighestTrackableValue));
                        _afterMarkingMicros.RecordValue(Math.Clamp((e.TimeStamp.Ticks - _cardsMarkedTicks) / 10, 0, _afterMarkingMicros.HighestTrackableValue));
                        _cardsBytesTotal += _cardsBytes;
                        _collectionsMarked++;
                    }
                }
                _suspendedAtTicks = 0;
                break;
        }
    }

    /// <summary>The pauses since the last call: how many, p99 and longest, in ms.</summary>
    public GcPauseLengths TakeAndReset()
    {
        lock (_lock)
        {
            var h = _micros;
            var lengths = h.TotalCount == 0 ? new GcPauseLengths(0, 0, 0, 0, 0, 0, null) : new GcPauseLengths(h.TotalCount,
                Ms(h, 50), Ms(h, 99), Math.Round(h.GetMaxValue() / 1000.0, 1),
                Math.Round(_suspendingMicros.GetMaxValue() / 1000.0, 1), _collections == 0 ? 0 : Math.Round(_promotedFromGen0 / 1e6 / _collections, 1),
                _collectionsMarked == 0 ? null : new GcPauseAnatomy(Ms(_markingMicros, 50), Ms(_afterMarkingMicros, 50), Math.Round(_cardsBytesTotal / 1e6 / _collectionsMarked, 2)));
            foreach (var histogram in (LongHistogram[])[h, _suspendingMicros, _markingMicros, _afterMarkingMicros]) histogram.Reset();
            (_promotedFromGen0, _collections, _cardsBytesTotal, _collectionsMarked) = (0, 0, 0, 0);
            return lengths;
        }
    }

    private static double Ms(LongHistogram micros, double percentile) => Math.Round(micros.GetValueAtPercentile(percentile) / 1000.0, 1);
}

/// <summary>Stop-the-world pauses of one phase: how many, and the p50, p99 and longest, in ms.</summary>
/// <param name="MaxSuspendingMs">The longest wait for every thread to stop, at the start of a pause.</param>
/// <param name="PromotedMbPerGc">MB that survived gen0, per collection: what a pause copies (the length follows it only in part: round 7).</param>
/// <param name="Anatomy">What the collections' lengths followed (null when the runtime reported no marking through cards).</param>
internal readonly record struct GcPauseLengths(long Count, double P50Ms, double P99Ms, double MaxMs, double MaxSuspendingMs, double PromotedMbPerGc, GcPauseAnatomy? Anatomy);

/// <summary>
/// Of a phase's collections, p50 ms from the collection's start until its heaps finished marking through old objects'
/// cards, p50 ms after that until the threads restart (plan, relocate, compact), and the MB those cards led to per collection.
/// </summary>
internal sealed record GcPauseAnatomy(double MarkingP50Ms, double AfterMarkingP50Ms, double CardsMbPerGc);
