using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// Hash field names that every entity repeats: <c>m:{minute}</c>, <c>h:{hour}</c>, <c>o:{partition}</c>. All entities
/// write the same few current buckets, so a drain reuses one string per bucket instead of formatting it per entity.
/// A small direct-mapped cache of immutable entries: safe to share between threads (a lost race only formats twice).
/// </summary>
public static class FieldNames
{
    // Every series of every entity kind (a dozen prefixes) over its window's buckets: a few thousand names in use at once.
    private const int Slots = 4096;
    private static readonly Entry?[] Cache = new Entry?[Slots];
    private const int KeyedSlots = 8192;
    private static readonly KeyedEntry?[] KeyedCache = new KeyedEntry?[KeyedSlots];

    /// <summary><paramref name="prefix"/> (e.g. <c>"m:"</c>) followed by <paramref name="number"/> in invariant digits.</summary>
    public static string Of(string prefix, long number)
    {
        // The whole prefix in the hash: series whose prefixes share a first letter would otherwise take each other's slots.
        var slot = HashCode.Combine(string.GetHashCode(prefix, StringComparison.Ordinal), number) & (Slots - 1);
        var entry = Volatile.Read(ref Cache[slot]);
        if (entry is not null && entry.Number == number && string.Equals(entry.Prefix, prefix, StringComparison.Ordinal)) return entry.Text;
        var text = string.Create(CultureInfo.InvariantCulture, $"{prefix}{number}");
        Volatile.Write(ref Cache[slot], new Entry(prefix, number, text));
        return text;
    }

    /// <summary>
    /// <paramref name="prefix"/> followed by <paramref name="key"/> (a category, an item, a neighbour): the same few thousand
    /// keys recur across entities and drains, so one string each rather than a concatenation per new entry or delete.
    /// </summary>
    public static string Of(string prefix, string key)
    {
        var slot = HashCode.Combine(string.GetHashCode(prefix, StringComparison.Ordinal), string.GetHashCode(key, StringComparison.Ordinal)) & (KeyedSlots - 1);
        var entry = Volatile.Read(ref KeyedCache[slot]);
        if (entry is not null && string.Equals(entry.Key, key, StringComparison.Ordinal) && string.Equals(entry.Prefix, prefix, StringComparison.Ordinal))
            return entry.Text;
        var text = prefix + key;
        Volatile.Write(ref KeyedCache[slot], new KeyedEntry(prefix, key, text));
        return text;
    }

    /// <summary><paramref name="tag"/> followed by <c>:</c>, one shared string per tag (every entity state has a few series and sets).</summary>
    public static string Prefix(string tag) => Prefixes.GetOrAdd(tag, static t => t + ":");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Prefixes = new(StringComparer.Ordinal);

    private sealed record Entry(string Prefix, long Number, string Text);

    private sealed record KeyedEntry(string Prefix, string Key, string Text);
}
