using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// Per key (a category), counts in the last <c>retain</c> event-time buckets: what a user's interest in one
/// category is over a window. Bounded: past <c>capacity</c> keys the one seen longest ago is forgotten.
/// Each key holds a ring of <c>retain</c> slots (slot = bucket mod retain): two live buckets never share a slot,
/// so an add is an array write, not a sorted-map update.
/// Stored as hash fields <c>{tag}:{key}</c> = <c>bucket:count</c> pairs by ascending bucket, joined by commas (absolute values).
/// </summary>
public sealed class KeyedCounts(string tag, long resolutionMs, int retain, int capacity)
{
    private const long Empty = long.MinValue;
    private readonly Dictionary<string, Ring> _entries = new(StringComparer.Ordinal);
    // Marked rings, each once (its Dirty flag); a removed one is skipped by the drain.
    private readonly List<Ring> _dirty = [];
    // Created on the first removal: most states never drop a key.
    private HashSet<string>? _removed;
    private readonly string _prefix = FieldNames.Prefix(tag);
    private long _prunedUpTo = long.MinValue;

    public void Add(string key, long timeMs, long watermarkMs)
    {
        var index = BucketSeries.Index(timeMs, resolutionMs);
        if (index <= BucketSeries.Index(watermarkMs, resolutionMs) - retain) return;
        if (!_entries.TryGetValue(key, out var ring))
        {
            if (_entries.Count >= capacity) Remove(Stalest());
            _entries[key] = ring = new Ring(FieldNames.Of(_prefix, key), retain);
            _removed?.Remove(key);
        }
        var slot = (int)(((index % retain) + retain) % retain);
        // A slot still holding an older bucket holds one outside every window: reuse it.
        if (ring.Index[slot] != index)
        {
            ring.Index[slot] = index;
            ring.Count[slot] = 0;
        }
        ring.Count[slot]++;
        if (index > ring.Latest) ring.Latest = index;
        MarkDirty(ring);
    }

    private void MarkDirty(Ring ring)
    {
        if (ring.Dirty) return;
        ring.Dirty = true;
        _dirty.Add(ring);
    }

    /// <summary>The key's count over the last <paramref name="buckets"/> buckets up to <paramref name="nowMs"/>.</summary>
    public double Sum(string key, int buckets, long nowMs) =>
        _entries.TryGetValue(key, out var ring) ? Window(ring, buckets, nowMs) : 0;

    /// <summary>Every key's count over the window.</summary>
    public double Total(int buckets, long nowMs)
    {
        double total = 0;
        foreach (var ring in _entries.Values) total += Window(ring, buckets, nowMs);
        return total;
    }

    public void Prune(long watermarkMs)
    {
        var oldest = BucketSeries.Index(watermarkMs, resolutionMs) - retain;
        // Only a watermark that crosses into a new bucket can push one out.
        if (oldest <= _prunedUpTo) return;
        _prunedUpTo = oldest;
        List<string>? emptied = null;
        foreach (var (key, ring) in _entries)
        {
            var changed = false;
            for (var i = 0; i < retain; i++)
            {
                if (ring.Index[i] == Empty || ring.Index[i] > oldest) continue;
                ring.Index[i] = Empty;
                changed = true;
            }
            if (ring.Latest <= oldest) (emptied ??= []).Add(key);
            else if (changed) MarkDirty(ring);
        }
        if (emptied is not null) foreach (var key in emptied) Remove(key);
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var ring in _dirty)
        {
            if (!ring.Dirty) continue;
            Format(ring, changes.Values);
            changes.Commit(ring.Field);
            ring.Dirty = false;
        }
        if (_removed is not null) foreach (var key in _removed) changes.Delete.Add(FieldNames.Of(_prefix, key));
        _dirty.Clear();
        _removed?.Clear();
    }

    /// <summary>Marks every key for the next drain, which then holds the whole set (the key is rewritten from scratch).</summary>
    public void MarkAll()
    {
        foreach (var ring in _entries.Values) MarkDirty(ring);
        _removed?.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var ring = new Ring(field, retain);
        foreach (var range in value.AsSpan().Split(','))
        {
            var pair = value.AsSpan()[range];
            var colon = pair.IndexOf(':');
            if (colon < 0) continue;
            var index = long.Parse(pair[..colon], CultureInfo.InvariantCulture);
            var slot = (int)(((index % retain) + retain) % retain);
            if (ring.Index[slot] != Empty && ring.Index[slot] > index) continue;
            ring.Index[slot] = index;
            ring.Count[slot] = double.Parse(pair[(colon + 1)..], CultureInfo.InvariantCulture);
            if (index > ring.Latest) ring.Latest = index;
        }
        _entries[field[_prefix.Length..]] = ring;
        return true;
    }

    private double Window(Ring ring, int buckets, long nowMs)
    {
        var current = BucketSeries.Index(nowMs, resolutionMs);
        double sum = 0;
        for (var i = 0; i < retain; i++)
        {
            var index = ring.Index[i];
            if (index != Empty && index > current - buckets && index <= current) sum += ring.Count[i];
        }
        return sum;
    }

    /// <summary>
    /// The key seen longest ago; among equals (the norm with day buckets) the ordinally first, so a state reloaded from Redis
    /// (whose fields come back in the server's order) evicts the same key the live one would.
    /// </summary>
    private string Stalest()
    {
        string? stalest = null;
        var latest = long.MaxValue;
        foreach (var (key, ring) in _entries)
        {
            if (ring.Latest < latest || (ring.Latest == latest && string.CompareOrdinal(key, stalest) < 0)) (stalest, latest) = (key, ring.Latest);
        }
        return stalest!;
    }

    private void Remove(string key)
    {
        if (_entries.Remove(key, out var ring)) ring.Dirty = false;
        (_removed ??= new(StringComparer.Ordinal)).Add(key);
    }

    private void Format(Ring ring, ValueArena into)
    {
        Span<int> order = stackalloc int[retain];
        var n = 0;
        for (var i = 0; i < retain; i++)
        {
            if (ring.Index[i] == Empty) continue;
            // Insertion sort by bucket: a handful of slots.
            var j = n++;
            while (j > 0 && ring.Index[order[j - 1]] > ring.Index[i]) { order[j] = order[j - 1]; j--; }
            order[j] = i;
        }
        for (var k = 0; k < n; k++)
        {
            if (k > 0) into.Append(',');
            into.Append(ring.Index[order[k]]);
            into.Append(':');
            into.Append(ring.Count[order[k]]);
        }
    }

    private sealed class Ring
    {
        public Ring(string field, int retain)
        {
            Field = field;
            Index = new long[retain];
            Count = new double[retain];
            Array.Fill(Index, Empty);
        }

        public string Field { get; }
        public long[] Index { get; }
        public double[] Count { get; }
        public long Latest { get; set; } = Empty;
        public bool Dirty { get; set; }
    }
}
