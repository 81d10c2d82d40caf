using System.Globalization;
using Engine.Models.Caching;

namespace Engine.Models.Features.State;

/// <summary>
/// Hash field names that every entity repeats: <c>m:{minute}</c>, <c>h:{hour}</c>, <c>o:{partition}</c>. All entities
/// write the same few current buckets, so a drain reuses one string per bucket instead of formatting it per entity.
/// Cached in <see cref="LossyCache{TKey, TValue}"/>s (fixed size, shared by threads).
/// </summary>
public static class FieldNames
{
    // Every series of every entity kind (a dozen prefixes) over its window's buckets: a few thousand names in use at once.
    private static readonly LossyCache<(string Prefix, long Number), string> Numbered = new(4096);
    // Categories, items and neighbours recur across entities and drains: a few thousand keys in use at once.
    private static readonly LossyCache<(string Prefix, string Key), string> Keyed = new(8192);

    /// <summary><paramref name="prefix"/> (e.g. <c>"m:"</c>) followed by <paramref name="number"/> in invariant digits.</summary>
    public static string Of(string prefix, long number) =>
        Numbered.GetOrAdd((prefix, number), static k => string.Create(CultureInfo.InvariantCulture, $"{k.Prefix}{k.Number}"));

    /// <summary>
    /// <paramref name="prefix"/> followed by <paramref name="key"/> (a category, an item, a neighbour): one string each
    /// rather than a concatenation per new entry or delete.
    /// </summary>
    public static string Of(string prefix, string key) => Keyed.GetOrAdd((prefix, key), static k => k.Prefix + k.Key);

    /// <summary><paramref name="tag"/> followed by <c>:</c>, one shared string per tag (every entity state has a few series and sets).</summary>
    public static string Prefix(string tag) => Prefixes.GetOrAdd(tag, static t => t + ":");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Prefixes = new(StringComparer.Ordinal);
}
