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
    private readonly string _prefix = tag + ":";

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Add(string item)
    {
        _counts[item] = _counts.GetValueOrDefault(item) + 1;
        _dirty.Add(item);
        _removed.Remove(item);
        if (_counts.Count >= 2 * keep) DropWeakerHalf();
    }

    /// <summary>The strongest <paramref name="n"/> neighbours, best first (ties by id).</summary>
    public IReadOnlyList<(string Item, long Count)> Top(int n) =>
        [.. _counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(n).Select(c => (c.Key, c.Value))];

    private void DropWeakerHalf()
    {
        var weaker = _counts.OrderBy(c => c.Value).ThenByDescending(c => c.Key, StringComparer.Ordinal).Take(_counts.Count - keep).Select(c => c.Key).ToList();
        foreach (var item in weaker)
        {
            _counts.Remove(item);
            _dirty.Remove(item);
            _removed.Add(item);
        }
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var item in _dirty) changes.Set.Add(new(_prefix + item, _counts[item].ToString(CultureInfo.InvariantCulture)));
        foreach (var item in _removed) changes.Delete.Add(_prefix + item);
        _dirty.Clear();
        _removed.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        _counts[field[_prefix.Length..]] = long.Parse(value, CultureInfo.InvariantCulture);
        return true;
    }
}
