using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// Co-visitation counts to other items, bounded: up to twice <c>keep</c> neighbours are counted; on reaching that,
/// the weaker half is dropped at once (lowest count first, ties by greater id, so a replay drops the same ones).
/// Dropping in halves keeps an add O(1) amortised for popular items. Stored as <c>{tag}:{item}</c> = count.
/// </summary>
public sealed class TopNeighbours(string tag, int keep)
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    // Neighbours that a drain (or the restore) has put in the store: only those need deleting when dropped. A popular
    // item churns through thousands of passing neighbours between two drains, none of which ever reached Redis.
    private readonly HashSet<string> _stored = new(StringComparer.Ordinal);
    private readonly string _prefix = tag + ":";

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Add(string item)
    {
        _counts[item] = _counts.GetValueOrDefault(item) + 1;
        _dirty.Add(item);
        if (_counts.Count >= 2 * keep) DropWeakerHalf();
    }

    /// <summary>The strongest <paramref name="n"/> neighbours, best first (ties by id).</summary>
    public IReadOnlyList<(string Item, long Count)> Top(int n) =>
        [.. _counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(n).Select(c => (c.Key, c.Value))];

    /// <summary>Adds <paramref name="other"/>'s counts into this one: a read-only sum of slices (nothing marked for writing, nothing dropped).</summary>
    public void AddAll(TopNeighbours other)
    {
        foreach (var (item, count) in other._counts) _counts[item] = _counts.GetValueOrDefault(item) + count;
    }

    private void DropWeakerHalf()
    {
        var ranked = new KeyValuePair<string, long>[_counts.Count];
        var n = 0;
        foreach (var entry in _counts) ranked[n++] = entry;
        Array.Sort(ranked, Weaker);
        for (var i = 0; i < ranked.Length - keep; i++)
        {
            var item = ranked[i].Key;
            _counts.Remove(item);
            _dirty.Remove(item);
            if (_stored.Remove(item)) _removed.Add(item);
        }
    }

    /// <summary>Weakest first: lowest count, ties by greater id.</summary>
    private static int Weaker(KeyValuePair<string, long> a, KeyValuePair<string, long> b)
    {
        var byCount = a.Value.CompareTo(b.Value);
        return byCount != 0 ? byCount : string.CompareOrdinal(b.Key, a.Key);
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var item in _dirty)
        {
            changes.Set.Add(new(_prefix + item, _counts[item].ToString(CultureInfo.InvariantCulture)));
            _stored.Add(item);
            // Dropped since the last drain, then back: the write above replaces the delete.
            _removed.Remove(item);
        }
        foreach (var item in _removed) changes.Delete.Add(_prefix + item);
        _dirty.Clear();
        _removed.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var item = field[_prefix.Length..];
        _counts[item] = long.Parse(value, CultureInfo.InvariantCulture);
        _stored.Add(item);
        return true;
    }
}
