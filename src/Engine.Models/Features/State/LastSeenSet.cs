using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// For each key (a category, a session, an item), the latest event-time bucket in which it was seen doing each of
/// <c>kinds</c> things (e.g. added to cart, purchased). "Seen in the window" is then "its latest bucket is in the
/// window", which needs no per-event history. Bounded: past <c>capacity</c> keys the stalest is forgotten.
/// Stored as hash fields <c>{tag}:{key}</c> = the bucket indexes joined by commas (<c>-</c> for never).
/// </summary>
public sealed class LastSeenSet(string tag, long resolutionMs, int retain, int kinds, int capacity)
{
    private const long Never = long.MinValue;
    private readonly Dictionary<string, Seen> _entries = new(StringComparer.Ordinal);
    // Marked entries, each once (its Dirty flag); a removed one is skipped by the drain.
    private readonly List<Seen> _dirty = [];
    // Created on the first removal: most states never drop a key.
    private HashSet<string>? _removed;
    private readonly string _prefix = FieldNames.Prefix(tag);
    private long _prunedUpTo = long.MinValue;

    public int Size => _entries.Count;

    public void Mark(string key, int kind, long timeMs, long watermarkMs)
    {
        var index = BucketSeries.Index(timeMs, resolutionMs);
        if (index <= BucketSeries.Index(watermarkMs, resolutionMs) - retain) return;
        if (!_entries.TryGetValue(key, out var seen))
        {
            if (_entries.Count >= capacity) Evict();
            _entries[key] = seen = new Seen(FieldNames.Of(_prefix, key), kinds);
            _removed?.Remove(key);
        }
        if (index <= seen.Indexes[kind]) return;
        seen.Indexes[kind] = index;
        if (seen.Dirty) return;
        seen.Dirty = true;
        _dirty.Add(seen);
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
            ReadOnlySpan<long> seen = entry.Indexes;
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
            if (Latest(seen.Kinds) <= oldest) (stale ??= []).Add(key);
        }
        if (stale is not null) foreach (var key in stale) Remove(key);
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var seen in _dirty)
        {
            if (!seen.Dirty) continue;
            Format(seen.Kinds, changes.Values);
            changes.Commit(seen.Field);
            seen.Dirty = false;
        }
        if (_removed is not null) foreach (var key in _removed) changes.Delete.Add(FieldNames.Of(_prefix, key));
        _dirty.Clear();
        _removed?.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var seen = new Seen(field, kinds);
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
            var l = Latest(seen.Kinds);
            if (stalest is null || l < latest) (stalest, latest) = (key, l);
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
        if (_entries.Remove(key, out var seen)) seen.Dirty = false;
        (_removed ??= new(StringComparer.Ordinal)).Add(key);
    }

    /// <summary>One key: its field name (formatted once), the latest bucket per kind, whether it awaits a drain.</summary>
    private sealed class Seen
    {
        private readonly int _kinds;

        public Seen(string field, int kinds)
        {
            // The kinds live inside the entry (no array per key): two at most.
            ArgumentOutOfRangeException.ThrowIfGreaterThan(kinds, MaxKinds);
            Field = field;
            _kinds = kinds;
            ((Span<long>)Indexes).Fill(Never);
        }

        public string Field { get; }
        public KindIndexes Indexes;
        public bool Dirty { get; set; }
        public ReadOnlySpan<long> Kinds => ((ReadOnlySpan<long>)Indexes)[.._kinds];
    }

    private const int MaxKinds = 2;

    [System.Runtime.CompilerServices.InlineArray(MaxKinds)]
    private struct KindIndexes
    {
        private long _first;
    }
}
