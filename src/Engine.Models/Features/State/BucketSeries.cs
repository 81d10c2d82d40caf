using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// Sums of a few metrics in event-time buckets of one resolution, keeping the last <c>retain</c> buckets.
/// A window of <c>n</c> buckets read at time <c>now</c> sums the buckets <c>(floor(now/res) - n, floor(now/res)]</c>:
/// the current bucket and the <c>n - 1</c> before it. Stored as one hash field per bucket,
/// <c>{tag}:{bucketIndex}</c> = the metrics' sums joined by commas (absolute values).
/// </summary>
public sealed class BucketSeries(string tag, long resolutionMs, int retain, int metrics)
{
    /// <summary>
    /// Pruned buckets are deleted from Redis in groups of this many, not one HDEL per write as each leaves its window:
    /// readers prune out-of-window buckets when they restore (and a restore marks them for deletion again), so a
    /// hash holds at most this many stale fields per series beyond its <c>retain</c> live ones.
    /// </summary>
    public const int DeleteEvery = 8;

    private readonly Dictionary<long, double[]> _buckets = [];
    private readonly HashSet<long> _dirty = [];
    private readonly HashSet<long> _removed = [];
    private readonly string _prefix = tag + ":";
    private long _prunedUpTo = long.MinValue;
    // Most events land in the newest bucket: remember it, and whether it is already marked dirty.
    private long _lastIndex = long.MinValue;
    private double[]? _lastValues;
    private long _lastDirty = long.MinValue;

    public long ResolutionMs => resolutionMs;
    public int BucketCount => _buckets.Count;

    public static long Index(long timeMs, long resolutionMs) => Math.DivRem(timeMs, resolutionMs) switch
    {
        (var q, < 0) => q - 1,
        (var q, _) => q,
    };

    /// <summary>Adds to the bucket of <paramref name="timeMs"/>, unless that bucket is already out of every window at <paramref name="watermarkMs"/>.</summary>
    public void Add(long timeMs, int metric, double amount, long watermarkMs)
    {
        var index = Index(timeMs, resolutionMs);
        if (index <= Index(watermarkMs, resolutionMs) - retain) return;
        if (index != _lastIndex || _lastValues is null)
        {
            if (!_buckets.TryGetValue(index, out var found))
            {
                found = new double[metrics];
                _buckets[index] = found;
                _removed.Remove(index);
            }
            _lastIndex = index;
            _lastValues = found;
        }
        _lastValues[metric] += amount;
        if (index == _lastDirty) return;
        _dirty.Add(index);
        _lastDirty = index;
    }

    /// <summary>Sum of one metric over the last <paramref name="buckets"/> buckets ending with the one holding <paramref name="nowMs"/>.</summary>
    public double Sum(int metric, int buckets, long nowMs)
    {
        var current = Index(nowMs, resolutionMs);
        var first = current - buckets;
        var sum = 0.0;
        foreach (var (index, values) in _buckets)
        {
            if (index > first && index <= current) sum += values[metric];
        }
        return sum;
    }

    /// <summary>Forgets buckets that no window can reach any more once the latest event is at <paramref name="watermarkMs"/>.</summary>
    public void Prune(long watermarkMs)
    {
        var oldest = Index(watermarkMs, resolutionMs) - retain;
        // Only a watermark that crosses into a new bucket can push one out.
        if (oldest <= _prunedUpTo) return;
        _prunedUpTo = oldest;
        if (_lastIndex <= oldest) _lastValues = null;
        foreach (var index in _buckets.Keys)
        {
            if (index > oldest) continue;
            _buckets.Remove(index);
            _dirty.Remove(index);
            _removed.Add(index);
        }
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var index in _dirty)
        {
            Format(_buckets[index], changes.Values);
            changes.Commit(Field(index));
        }
        _dirty.Clear();
        _lastDirty = long.MinValue;
        if (_removed.Count < DeleteEvery) return;
        foreach (var index in _removed)
            changes.Delete.Add(Field(index));
        _removed.Clear();
    }

    /// <summary>Adds every bucket of <paramref name="other"/> (same shape) into this one: a read-only sum of slices, nothing marked for writing.</summary>
    public void AddAll(BucketSeries other)
    {
        foreach (var (index, values) in other._buckets)
        {
            if (!_buckets.TryGetValue(index, out var sums)) _buckets[index] = sums = new double[metrics];
            for (var i = 0; i < sums.Length; i++) sums[i] += values[i];
        }
        _lastValues = null;
    }

    private string Field(long index) => FieldNames.Of(_prefix, index);

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var index = long.Parse(field.AsSpan(_prefix.Length), CultureInfo.InvariantCulture);
        var values = new double[metrics];
        var i = 0;
        foreach (var range in value.AsSpan().Split(','))
        {
            if (i < metrics) values[i] = double.Parse(value.AsSpan()[range], CultureInfo.InvariantCulture);
            i++;
        }
        _buckets[index] = values;
        _lastValues = null;
        return true;
    }

    /// <summary>"3,0,1,12.5": whole numbers without a decimal point, others shortest round-trip.</summary>
    private static void Format(double[] values, ValueArena into)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0) into.Append(',');
            into.Append(values[i]);
        }
    }
}
