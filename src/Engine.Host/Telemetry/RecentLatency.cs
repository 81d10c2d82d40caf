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
public sealed class RecentLatency(HistogramBase cumulative, int window = 10)
{
    private readonly Queue<HistogramBase> _snapshots = new();

    /// <summary>Takes a snapshot and returns the p50 and p99 in ms (rounded to 0.1) and the count over the window; 0 when nothing was recorded in it.</summary>
    public (double P50Ms, double P99Ms, long Count) Sample()
    {
        var now = cumulative.Copy();
        _snapshots.Enqueue(now);
        // Full: against the snapshot a window ago (dropped); else against the first (the first sample covers nothing).
        var since = _snapshots.Count > window ? _snapshots.Dequeue() : _snapshots.Peek();
        var recent = new LongHistogram(now.LowestTrackableValue, now.HighestTrackableValue, now.NumberOfSignificantValueDigits);
        foreach (var bucket in now.RecordedValues())
        {
            var added = bucket.CountAtValueIteratedTo - since.GetCountAtValue(bucket.ValueIteratedTo);
            if (added > 0) recent.RecordValueWithCount(bucket.ValueIteratedTo, added);
        }
        return recent.TotalCount == 0 ? (0, 0, 0) : (Millis(recent, 50), Millis(recent, 99), recent.TotalCount);
    }

    private static double Millis(HistogramBase histogram, double percentile) => Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 1);
}
