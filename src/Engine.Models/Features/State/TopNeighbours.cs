using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Models.Features.State;

/// <summary>
/// Co-visitation counts to other items, bounded: up to twice <c>keep</c> neighbours are counted; on reaching that,
/// the weaker half is dropped at once (lowest count first, ties by greater id, so a replay drops the same ones).
/// Dropping in halves keeps an add O(1) amortised for popular items. Stored as <c>{tag}:{item}</c> = count.
/// </summary>
public sealed class TopNeighbours(string tag, int keep)
{
    // One lookup per add: the count, whether it awaits a drain, and whether a drain (or the restore) put it in the store
    // (only those need deleting when dropped: a popular item churns through thousands of passing neighbours between
    // two drains, none of which ever reached Redis). No field name is kept per entry: neighbours come and go, and each
    // new name stored in this long-lived map was a young object the next gen0 collection had to find through the map's
    // cards (~22,000 at a time at 10,000 events/s; docs/performance.md, round 8). Drains take it from FieldNames.
    private struct Entry
    {
        public long Count;
        public bool Dirty;
        public bool Stored;
    }

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _dirty = [];
    // Created on the first removal: most states never drop a key.
    private HashSet<string>? _removed;
    private readonly string _prefix = FieldNames.Prefix(tag);
    // The ranking of a drop, reused: popular items drop a half every few adds (one owner per thread).
    [ThreadStatic] private static KeyValuePair<string, long>[]? _ranking;

    /// <summary>A snapshot of every counted neighbour (for tests and inspection; <see cref="Top"/> for reading).</summary>
    public IReadOnlyDictionary<string, long> Counts => _entries.ToDictionary(e => e.Key, e => e.Value.Count, StringComparer.Ordinal);

    public void Add(string item)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, item, out _);
        entry.Count++;
        MarkDirty(ref entry, item);
        if (_entries.Count >= 2 * keep) DropWeakerHalf();
    }

    /// <summary>Queues <paramref name="item"/> for the next drain, once per marking.</summary>
    private void MarkDirty(ref Entry entry, string item)
    {
        if (entry.Dirty) return;
        entry.Dirty = true;
        _dirty.Add(item);
    }

    /// <summary>Adds <paramref name="other"/>'s counts into this one: a read-only sum of slices (nothing marked for writing, nothing dropped).</summary>
    public void AddAll(TopNeighbours other)
    {
        foreach (var (item, entry) in other._entries)
            CollectionsMarshal.GetValueRefOrAddDefault(_entries, item, out _).Count += entry.Count;
    }

    /// <summary>The strongest <paramref name="n"/> neighbours, best first (ties by id).</summary>
    public IReadOnlyList<(string Item, long Count)> Top(int n) =>
        [.. _entries.OrderByDescending(c => c.Value.Count).ThenBy(c => c.Key, StringComparer.Ordinal).Take(n).Select(c => (c.Key, c.Value.Count))];

    private void DropWeakerHalf()
    {
        var count = _entries.Count;
        if (_ranking is null || _ranking.Length < count) _ranking = new KeyValuePair<string, long>[Math.Max(count, 4 * keep)];
        var ranked = _ranking;
        var n = 0;
        foreach (var (item, entry) in _entries) ranked[n++] = new(item, entry.Count);
        Array.Sort(ranked, 0, count, WeakerFirst);
        for (var i = 0; i < count - keep; i++)
        {
            var item = ranked[i].Key;
            // A dropped neighbour left in the dirty list is skipped by the drain (it is no longer counted).
            if (_entries.Remove(item, out var dropped) && dropped.Stored) (_removed ??= new(StringComparer.Ordinal)).Add(item);
        }
    }

    /// <summary>Weakest first: lowest count, ties by greater id.</summary>
    private static readonly Comparer<KeyValuePair<string, long>> WeakerFirst = Comparer<KeyValuePair<string, long>>.Create((a, b) =>
    {
        var byCount = a.Value.CompareTo(b.Value);
        return byCount != 0 ? byCount : string.CompareOrdinal(b.Key, a.Key);
    });

    public void Drain(EntityChanges changes)
    {
        foreach (var item in _dirty)
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, item);
            if (Unsafe.IsNullRef(ref entry) || !entry.Dirty) continue;
            changes.Add(FieldNames.Of(_prefix, item), entry.Count);
            entry.Dirty = false;
            entry.Stored = true;
            // Dropped since the last drain, then back: the write above replaces the delete.
            _removed?.Remove(item);
        }
        if (_removed is not null) foreach (var item in _removed) changes.Delete.Add(FieldNames.Of(_prefix, item));
        _dirty.Clear();
        _removed?.Clear();
    }

    /// <summary>Marks every neighbour for the next drain, which then holds them all (the key is rewritten from scratch).</summary>
    public void MarkAll()
    {
        foreach (var item in _entries.Keys) MarkDirty(ref CollectionsMarshal.GetValueRefOrNullRef(_entries, item), item);
        _removed?.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, field[_prefix.Length..], out _);
        entry.Count = long.Parse(value, CultureInfo.InvariantCulture);
        entry.Stored = true;
        return true;
    }
}
