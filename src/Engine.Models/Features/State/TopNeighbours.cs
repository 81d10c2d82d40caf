using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// Co-visitation counts to other items, bounded to <c>capacity</c>: a new neighbour arriving when full replaces
/// the weakest (lowest count, then the greatest id, so the choice is deterministic). Stored as <c>{tag}:{item}</c> = count.
/// </summary>
public sealed class TopNeighbours(string tag, int capacity)
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private readonly string _prefix = tag + ":";

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Add(string item)
    {
        if (!_counts.TryGetValue(item, out var count) && _counts.Count >= capacity)
        {
            var weakest = Weakest();
            _counts.Remove(weakest);
            _dirty.Remove(weakest);
            _removed.Add(weakest);
        }
        _counts[item] = count + 1;
        _dirty.Add(item);
        _removed.Remove(item);
    }

    private string Weakest()
    {
        var (weakest, lowest) = (string.Empty, long.MaxValue);
        foreach (var (item, count) in _counts)
        {
            if (count < lowest || (count == lowest && string.CompareOrdinal(item, weakest) > 0)) (weakest, lowest) = (item, count);
        }
        return weakest;
    }

    /// <summary>The strongest <paramref name="n"/> neighbours, best first (ties by id).</summary>
    public IReadOnlyList<(string Item, long Count)> Top(int n) =>
        [.. _counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(n).Select(c => (c.Key, c.Value))];

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
