using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Models.Features.State;

/// <summary>
/// For each key (a category, a session, an item), the latest event-time bucket in which it was seen doing each of
/// <c>kinds</c> things (e.g. added to cart, purchased). "Seen in the window" is then "its latest bucket is in the
/// window", which needs no per-event history. Bounded: past <c>capacity</c> keys the stalest is forgotten.
/// Stored as hash fields <c>{tag}:{key}</c> = the bucket indexes joined by commas (<c>-</c> for never).
/// Entries are values in the map, not objects: an object per key, or a field name kept per key, was a young object in
/// a long-lived map that the next gen0 collection had to find through the map's cards (docs/performance.md, round 8).
/// </summary>
public sealed class LastSeenSet(string tag, long resolutionMs, int retain, int kinds, int capacity)
{
    private const long Never = long.MinValue;
    private readonly Dictionary<string, Seen> _entries = new(StringComparer.Ordinal);
    // Keys of marked entries, each once per marking (the entry's Dirty flag); a removed one is skipped by the drain.
    private readonly List<string> _dirty = [];
    // Created on the first removal: most states never drop a key.
    private HashSet<string>? _removed;
    private readonly string _prefix = FieldNames.Prefix(tag);
    private long _prunedUpTo = long.MinValue;

    public int Size => _entries.Count;

    public void Mark(string key, int kind, long timeMs, long watermarkMs)
    {
        var index = BucketSeries.Index(timeMs, resolutionMs);
        if (index <= BucketSeries.Index(watermarkMs, resolutionMs) - retain) return;
        ref var seen = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
        if (Unsafe.IsNullRef(ref seen))
        {
            if (_entries.Count >= capacity) Evict();
            seen = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out _);
            seen = new Seen(kinds);
            _removed?.Remove(key);
        }
        if (index <= seen.Indexes[kind]) return;
        seen.Indexes[kind] = index;
        MarkDirty(ref seen, key);
    }

    /// <summary>Queues <paramref name="key"/> for the next drain, once per marking.</summary>
    private void MarkDirty(ref Seen seen, string key)
    {
        if (seen.Dirty) return;
        seen.Dirty = true;
        _dirty.Add(key);
    }

    /// <summary>Keys seen as <paramref name="kind"/> within the last <paramref name="buckets"/> buckets and, if
    /// <paramref name="notKind"/> is given, not seen as that kind in the same window.</summary>
    public int Count(int kind, int buckets, long nowMs, int notKind = -1)
    {
        var current = BucketSeries.Index(nowMs, resolutionMs);
        var first = current - buckets;
        var count = 0;
        foreach (var entry in _entries.Values)
        {
            var seen = entry.Kinds(kinds);
            if (seen[kind] <= first || seen[kind] > current) continue;
            if (notKind >= 0 && seen[notKind] > first && seen[notKind] <= current) continue;
            count++;
        }
        return count;
    }

    public void Prune(long watermarkMs)
    {
        var oldest = BucketSeries.Index(watermarkMs, resolutionMs) - retain;
        if (oldest <= _prunedUpTo) return;
        _prunedUpTo = oldest;
        List<string>? stale = null;
        foreach (var (key, seen) in _entries)
        {
            if (Latest(seen.Kinds(kinds)) <= oldest) (stale ??= []).Add(key);
        }
        if (stale is not null) foreach (var key in stale) Remove(key);
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var key in _dirty)
        {
            ref var seen = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key);
            if (Unsafe.IsNullRef(ref seen) || !seen.Dirty) continue;
            Format(seen.Kinds(kinds), changes.Values);
            changes.Commit(FieldNames.Of(_prefix, key));
            seen.Dirty = false;
        }
        if (_removed is not null) foreach (var key in _removed) changes.Delete.Add(FieldNames.Of(_prefix, key));
        _dirty.Clear();
        _removed?.Clear();
    }

    /// <summary>Marks every key for the next drain, which then holds the whole set (the key is rewritten from scratch).</summary>
    public void MarkAll()
    {
        foreach (var key in _entries.Keys) MarkDirty(ref CollectionsMarshal.GetValueRefOrNullRef(_entries, key), key);
        _removed?.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var seen = new Seen(kinds);
        var parts = value.Split(',');
        for (var i = 0; i < Math.Min(kinds, parts.Length); i++)
            seen.Indexes[i] = parts[i] == "-" ? Never : long.Parse(parts[i], CultureInfo.InvariantCulture);
        _entries[field[_prefix.Length..]] = seen;
        return true;
    }

    private void Evict()
    {
        string? stalest = null;
        var latest = long.MaxValue;
        foreach (var (key, seen) in _entries)
        {
            var l = Latest(seen.Kinds(kinds));
            // Among equally stale keys, the ordinally first: a reloaded state (fields in the server's order) evicts as the live one.
            if (stalest is null || l < latest || (l == latest && string.CompareOrdinal(key, stalest) < 0)) (stalest, latest) = (key, l);
        }
        Remove(stalest!);
    }

    private static long Latest(ReadOnlySpan<long> seen)
    {
        var latest = Never;
        foreach (var index in seen) latest = Math.Max(latest, index);
        return latest;
    }

    /// <summary>"123,-": the bucket indexes, <c>-</c> for never.</summary>
    private static void Format(ReadOnlySpan<long> seen, ValueArena into)
    {
        for (var i = 0; i < seen.Length; i++)
        {
            if (i > 0) into.Append(',');
            if (seen[i] == Never) into.Append('-');
            else into.Append(seen[i]);
        }
    }

    private void Remove(string key)
    {
        _entries.Remove(key);
        (_removed ??= new(StringComparer.Ordinal)).Add(key);
    }

    /// <summary>One key: the latest bucket per kind, whether it awaits a drain.</summary>
    private struct Seen
    {
        public Seen(int kinds)
        {
            // The kinds live inside the entry (no array per key): two at most.
            ArgumentOutOfRangeException.ThrowIfGreaterThan(kinds, MaxKinds);
            ((Span<long>)Indexes).Fill(Never);
        }

        public KindIndexes Indexes;
        public bool Dirty;

        [System.Diagnostics.CodeAnalysis.UnscopedRef]
        public readonly ReadOnlySpan<long> Kinds(int kinds) => ((ReadOnlySpan<long>)Indexes)[..kinds];
    }

    private const int MaxKinds = 2;

    [System.Runtime.CompilerServices.InlineArray(MaxKinds)]
    private struct KindIndexes
    {
        private long _first;
    }
}
