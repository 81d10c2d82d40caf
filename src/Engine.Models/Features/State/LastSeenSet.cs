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
    private readonly Dictionary<string, long[]> _entries = new(StringComparer.Ordinal);
    // Field names of the keys written so far: a drain writes the same few keys again and again.
    private readonly Dictionary<string, string> _fields = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private readonly string _prefix = tag + ":";
    private long _prunedUpTo = long.MinValue;

    public int Size => _entries.Count;

    public void Mark(string key, int kind, long timeMs, long watermarkMs)
    {
        var index = BucketSeries.Index(timeMs, resolutionMs);
        if (index <= BucketSeries.Index(watermarkMs, resolutionMs) - retain) return;
        if (!_entries.TryGetValue(key, out var seen))
        {
            if (_entries.Count >= capacity) Evict();
            seen = new long[kinds];
            Array.Fill(seen, Never);
            _entries[key] = seen;
            _removed.Remove(key);
        }
        if (index <= seen[kind]) return;
        seen[kind] = index;
        _dirty.Add(key);
    }

    /// <summary>Keys seen as <paramref name="kind"/> within the last <paramref name="buckets"/> buckets and, if
    /// <paramref name="notKind"/> is given, not seen as that kind in the same window.</summary>
    public int Count(int kind, int buckets, long nowMs, int notKind = -1)
    {
        var current = BucketSeries.Index(nowMs, resolutionMs);
        var first = current - buckets;
        var count = 0;
        foreach (var seen in _entries.Values)
        {
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
            if (Latest(seen) <= oldest) (stale ??= []).Add(key);
        }
        if (stale is not null) foreach (var key in stale) Remove(key);
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var key in _dirty)
            changes.Set.Add(new(Field(key), Format(_entries[key])));
        foreach (var key in _removed)
        {
            changes.Delete.Add(Field(key));
            _fields.Remove(key);
        }
        _dirty.Clear();
        _removed.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(_prefix, StringComparison.Ordinal)) return false;
        var seen = new long[kinds];
        Array.Fill(seen, Never);
        var parts = value.Split(',');
        for (var i = 0; i < Math.Min(kinds, parts.Length); i++)
            seen[i] = parts[i] == "-" ? Never : long.Parse(parts[i], CultureInfo.InvariantCulture);
        _entries[field[_prefix.Length..]] = seen;
        return true;
    }

    private void Evict()
    {
        string? stalest = null;
        var latest = long.MaxValue;
        foreach (var (key, seen) in _entries)
        {
            var l = Latest(seen);
            if (stalest is null || l < latest) (stalest, latest) = (key, l);
        }
        Remove(stalest!);
    }

    private static long Latest(long[] seen)
    {
        var latest = Never;
        foreach (var index in seen) latest = Math.Max(latest, index);
        return latest;
    }

    private string Field(string key)
    {
        if (!_fields.TryGetValue(key, out var field)) _fields[key] = field = _prefix + key;
        return field;
    }

    /// <summary>"123,-": the bucket indexes, <c>-</c> for never.</summary>
    private static string Format(long[] seen)
    {
        Span<char> buffer = stackalloc char[21 * seen.Length];
        var length = 0;
        for (var i = 0; i < seen.Length; i++)
        {
            if (i > 0) buffer[length++] = ',';
            if (seen[i] == Never) { buffer[length++] = '-'; continue; }
            seen[i].TryFormat(buffer[length..], out var written, default, CultureInfo.InvariantCulture);
            length += written;
        }
        return new string(buffer[..length]);
    }

    private void Remove(string key)
    {
        _entries.Remove(key);
        _dirty.Remove(key);
        _removed.Add(key);
    }
}
