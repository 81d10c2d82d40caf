using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// Hash field names that every entity repeats: <c>m:{minute}</c>, <c>h:{hour}</c>, <c>o:{partition}</c>. All entities
/// write the same few current buckets, so a drain reuses one string per bucket instead of formatting it per entity.
/// A small direct-mapped cache of immutable entries: safe to share between threads (a lost race only formats twice).
/// </summary>
public static class FieldNames
{
    private const int Slots = 1024;
    private static readonly Entry?[] Cache = new Entry?[Slots];

    /// <summary><paramref name="prefix"/> (e.g. <c>"m:"</c>) followed by <paramref name="number"/> in invariant digits.</summary>
    public static string Of(string prefix, long number)
    {
        var slot = (int)((ulong)(number * 31 + prefix[0]) % Slots);
        var entry = Volatile.Read(ref Cache[slot]);
        if (entry is not null && entry.Number == number && string.Equals(entry.Prefix, prefix, StringComparison.Ordinal)) return entry.Text;
        var text = string.Create(CultureInfo.InvariantCulture, $"{prefix}{number}");
        Volatile.Write(ref Cache[slot], new Entry(prefix, number, text));
        return text;
    }

    /// <summary><paramref name="tag"/> followed by <c>:</c>, one shared string per tag (every entity state has a few series and sets).</summary>
    public static string Prefix(string tag) => Prefixes.GetOrAdd(tag, static t => t + ":");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Prefixes = new(StringComparer.Ordinal);

    private sealed record Entry(string Prefix, long Number, string Text);
}
