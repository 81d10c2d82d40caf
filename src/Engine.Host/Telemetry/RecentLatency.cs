using HdrHistogram;

namespace Engine.Host.Telemetry;

/// <summary>
/// Percentiles of a cumulative latency histogram (microseconds) over its last few samples, for the lines a person watches
/// once a second (the live page, the demo's console): what was recorded since the snapshot taken <c>window</c> samples
/// ago. Before 2026-12-07 those lines showed percentiles since the node started, so a stall an hour in barely moved them
/// and a slow start kept them high long after the node had recovered.
/// </summary>
/// <param name="window">Samples the percentiles cover (10: at one a second, the last 10 s); until that many were taken,
/// what was recorded since the first (which itself covers nothing).</param>
public sealed class RecentLatency
{
    private readonly HistogramBase _cumulative;
    // Snapshots of the cumulative histogram, the newest at _next - 1; allocated once (each is a few hundred KB, on the
    // large-object heap: a copy a second per viewer was gen2 garbage).
    private readonly HistogramBase[] _snapshots;
    private readonly HistogramBase _recent;
    private int _next, _taken;

    public RecentLatency(HistogramBase cumulative, int window = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _cumulative = cumulative;
        _snapshots = new HistogramBase[window + 1];
        for (var i = 0; i < _snapshots.Length; i++) _snapshots[i] = Like(cumulative);
        _recent = Like(cumulative);
    }

    /// <summary>
    /// Takes a snapshot and returns the p50 and p99 in ms (rounded to 0.1) and the count over the window; the percentiles
    /// are null when no decision was recorded in it: a stalled engine read "0 / 0 ms", a perfect figure, before 2026-12-07.
    /// </summary>
    public (double? P50Ms, double? P99Ms, long Count) Sample()
    {
        var now = _snapshots[_next];
        _cumulative.CopyInto(now);
        _next = (_next + 1) % _snapshots.Length;
        _taken = Math.Min(_taken + 1, _snapshots.Length);
        // Full: against the snapshot a window ago (the next to be overwritten); else against the first (the first sample covers nothing).
        var since = _snapshots[_taken == _snapshots.Length ? _next : 0];
        _recent.Reset();
        foreach (var bucket in now.RecordedValues())
        {
            var added = bucket.CountAtValueIteratedTo - since.GetCountAtValue(bucket.ValueIteratedTo);
            if (added > 0) _recent.RecordValueWithCount(bucket.ValueIteratedTo, added);
        }
        return _recent.TotalCount == 0 ? (null, null, 0) : (Millis(_recent, 50), Millis(_recent, 99), _recent.TotalCount);
    }

    private static LongHistogram Like(HistogramBase histogram) =>
        new(histogram.LowestTrackableValue, histogram.HighestTrackableValue, histogram.NumberOfSignificantValueDigits);

    private static double Millis(HistogramBase histogram, double percentile) => Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 1);
}
