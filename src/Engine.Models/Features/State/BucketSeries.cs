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
    private const int FirstCapacity = 4;

    // The buckets in flat arrays, not a dictionary of arrays: an entity holds a few dozen at most, so a scan beats a
    // hash, and a series is three objects (none before its first add) instead of a dictionary, two sets and an
    // array per bucket. Slot i is bucket _slots[i].Index, its metrics at _values[i * metrics ..].
    private Slot[] _slots = [];
    private double[] _values = [];
    private int _count;
    private List<long>? _removed;
    private readonly string _prefix = FieldNames.Prefix(tag);
    private long _prunedUpTo = long.MinValue;
    // Most events land in the newest bucket: remember its slot.
    private int _last = -1;

    public long ResolutionMs => resolutionMs;
    public int BucketCount => _count;

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
        var slot = _last >= 0 && _slots[_last].Index == index ? _last : FindOrAdd(index);
        _last = slot;
        _values[slot * metrics + metric] += amount;
        _slots[slot].Dirty = true;
    }

    /// <summary>Sum of one metric over the last <paramref name="buckets"/> buckets ending with the one holding <paramref name="nowMs"/>.</summary>
    public double Sum(int metric, int buckets, long nowMs)
    {
        var current = Index(nowMs, resolutionMs);
        var first = current - buckets;
        var sum = 0.0;
        for (var i = 0; i < _count; i++)
        {
            var index = _slots[i].Index;
            if (index > first && index <= current) sum += _values[i * metrics + metric];
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
        var kept = 0;
        for (var i = 0; i < _count; i++)
        {
            if (_slots[i].Index <= oldest)
            {
                (_removed ??= []).Add(_slots[i].Index);
                continue;
            }
            if (kept != i)
            {
                _slots[kept] = _slots[i];
                _values.AsSpan(i * metrics, metrics).CopyTo(_values.AsSpan(kept * metrics, metrics));
            }
            kept++;
        }
        if (kept == _count) return;
        _values.AsSpan(kept * metrics, (_count - kept) * metrics).Clear();
        _count = kept;
        _last = -1;
    }

    public void Drain(EntityChanges changes)
    {
        for (var i = 0; i < _count; i++)
        {
            if (!_slots[i].Dirty) continue;
            Format(_values.AsSpan(i * metrics, metrics), changes.Values);
            changes.Commit(Field(_slots[i].Index));
            _slots[i].Dirty = false;
        }
        if (_removed is null || _removed.Count < DeleteEvery) return;
        foreach (var index in _removed)
            changes.Delete.Add(Field(index));
        _removed.Clear();
    }

    /// <summary>Marks every bucket for the next drain, which then holds the whole series (the key is rewritten from scratch).</summary>
    public void MarkAll()
    {
        for (var i = 0; i < _count; i++) _slots[i].Dirty = true;
        _removed?.Clear();
    }

    /// <summary>Adds every bucket of <paramref name="other"/> (same shape) into this one: a read-only sum of slices, nothing marked for writing.</summary>
    public void AddAll(BucketSeries other)
    {
        for (var i = 0; i < other._count; i++)
        {
            var slot = FindOrAdd(other._slots[i].Index);
            for (var m = 0; m < metrics; m++) _values[slot * metrics + m] += other._values[i * metrics + m];
        }
    }

    private string Field(long index) => FieldNames.Of(_prefix, index);

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var index = long.Parse(field.AsSpan(_prefix.Length), CultureInfo.InvariantCulture);
        // The slot first: adding it may replace _values.
        var slot = FindOrAdd(index);
        var values = _values.AsSpan(slot * metrics, metrics);
        values.Clear();
        var i = 0;
        foreach (var range in value.AsSpan().Split(','))
        {
            if (i < metrics) values[i] = double.Parse(value.AsSpan()[range], CultureInfo.InvariantCulture);
            i++;
        }
        return true;
    }

    /// <summary>The slot of bucket <paramref name="index"/>, added (zeroed, not dirty) if absent. Newest buckets are last: scan backwards.</summary>
    private int FindOrAdd(long index)
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            if (_slots[i].Index == index) return i;
        }
        if (_count == _slots.Length)
        {
            var capacity = Math.Max(FirstCapacity, _slots.Length * 2);
            Array.Resize(ref _slots, capacity);
            Array.Resize(ref _values, capacity * metrics);
        }
        // A bucket pruned and then restored (a re-read) is live again: not to be deleted.
        if (_removed is { Count: > 0 }) _removed.Remove(index);
        _slots[_count] = new Slot { Index = index };
        return _count++;
    }

    /// <summary>"3,0,1,12.5": whole numbers without a decimal point, others shortest round-trip.</summary>
    private static void Format(ReadOnlySpan<double> values, ValueArena into)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0) into.Append(',');
            into.Append(values[i]);
        }
    }

    private struct Slot
    {
        public long Index;
        public bool Dirty;
    }
}
