using System.Globalization;
using System.Text;

namespace Engine.Models.Features.State;

/// <summary>
/// Per key (a category), counts in the last <c>retain</c> event-time buckets: what a user's interest in one
/// category is over a window. Bounded: past <c>capacity</c> keys the one seen longest ago is forgotten.
/// Stored as hash fields <c>{tag}:{key}</c> = <c>bucket:count</c> pairs joined by commas (absolute values).
/// </summary>
public sealed class KeyedCounts(string tag, long resolutionMs, int retain, int capacity)
{
    private readonly Dictionary<string, SortedDictionary<long, double>> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private readonly string _prefix = tag + ":";

    public void Add(string key, long timeMs, long watermarkMs)
    {
        var index = BucketSeries.Index(timeMs, resolutionMs);
        if (index <= BucketSeries.Index(watermarkMs, resolutionMs) - retain) return;
        if (!_entries.TryGetValue(key, out var buckets))
        {
            if (_entries.Count >= capacity) Remove(_entries.MinBy(e => e.Value.Keys.Max()).Key);
            _entries[key] = buckets = [];
            _removed.Remove(key);
        }
        buckets[index] = buckets.GetValueOrDefault(index) + 1;
        _dirty.Add(key);
    }

    /// <summary>The key's count over the last <paramref name="buckets"/> buckets up to <paramref name="nowMs"/>.</summary>
    public double Sum(string key, int buckets, long nowMs) =>
        _entries.TryGetValue(key, out var counts) ? Window(counts, buckets, nowMs) : 0;

    /// <summary>Every key's count over the window.</summary>
    public double Total(int buckets, long nowMs) => _entries.Values.Sum(c => Window(c, buckets, nowMs));

    public void Prune(long watermarkMs)
    {
        var oldest = BucketSeries.Index(watermarkMs, resolutionMs) - retain;
        foreach (var (key, counts) in _entries)
        {
            var before = counts.Count;
            foreach (var stale in counts.Keys.Where(i => i <= oldest).ToList()) counts.Remove(stale);
            if (counts.Count == 0) Remove(key);
            else if (counts.Count != before) _dirty.Add(key);
        }
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var key in _dirty)
        {
            if (!_entries.TryGetValue(key, out var counts)) continue;
            var text = new StringBuilder();
            foreach (var (index, count) in counts)
                text.Append(text.Length == 0 ? "" : ",").Append(index.ToString(CultureInfo.InvariantCulture)).Append(':').Append(count.ToString(CultureInfo.InvariantCulture));
            changes.Set.Add(new(_prefix + key, text.ToString()));
        }
        foreach (var key in _removed) changes.Delete.Add(_prefix + key);
        _dirty.Clear();
        _removed.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var counts = new SortedDictionary<long, double>();
        foreach (var pair in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            counts[long.Parse(pair.AsSpan(0, colon), CultureInfo.InvariantCulture)] = double.Parse(pair.AsSpan(colon + 1), CultureInfo.InvariantCulture);
        }
        _entries[field[_prefix.Length..]] = counts;
        return true;
    }

    private double Window(SortedDictionary<long, double> counts, int buckets, long nowMs)
    {
        var current = BucketSeries.Index(nowMs, resolutionMs);
        double sum = 0;
        foreach (var (index, count) in counts)
            if (index > current - buckets && index <= current) sum += count;
        return sum;
    }

    private void Remove(string key)
    {
        _entries.Remove(key);
        _dirty.Remove(key);
        _removed.Add(key);
    }
}
