using System.Globalization;
using Engine.Models.Features;

namespace Engine.Actors.Features;

/// <summary>
/// How an item's per-partition slices share its hash (docs/features.md): each slice's fields carry the writing
/// partition as a suffix (<c>m:{minute}:p{partition}</c>, <c>n:{item}:p{partition}</c>, <c>last_event:p{partition}</c>), so
/// the owner of a partition writes only its own fields, absolutely and idempotently; the offsets <c>o:{partition}</c>
/// are per partition already. Reads sum the slices (<see cref="ItemFeatureState.Merge"/>).
/// </summary>
public static class ItemSliceFields
{
    private const string Marker = ":p";
    private const string OffsetPrefix = "o:";
    private static readonly string[] Suffixes = [.. Enumerable.Range(0, 256).Select(p => Marker + p.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The stored name of a slice's field (offsets keep theirs).</summary>
    public static string Field(string field, int slice) =>
        field.StartsWith(OffsetPrefix, StringComparison.Ordinal) ? field : field + Suffix(slice);

    /// <summary>Splits a stored field into the state's own field name and its slice (null: an offset, or a field written before slicing).</summary>
    public static (string Field, int? Slice) Parse(string stored)
    {
        if (stored.StartsWith(OffsetPrefix, StringComparison.Ordinal)) return (stored, null);
        var marker = stored.LastIndexOf(Marker, StringComparison.Ordinal);
        if (marker < 0 || !int.TryParse(stored.AsSpan(marker + Marker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var slice))
            return (stored, null);
        return (stored[..marker], slice);
    }

    /// <summary>The fields of one slice (and every offset), under the state's own names: what its owner restores.</summary>
    public static IEnumerable<KeyValuePair<string, string>> OfSlice(IEnumerable<KeyValuePair<string, string>> stored, int slice)
    {
        foreach (var (name, value) in stored)
        {
            var (field, of) = Parse(name);
            if (of == slice || (of is null && field.StartsWith(OffsetPrefix, StringComparison.Ordinal))) yield return new(field, value);
        }
    }

    /// <summary>The whole item: each slice restored on its own (its own clock), then summed.</summary>
    public static ItemFeatureState Merge(string itemId, TimeSpan allowedLateness, IEnumerable<KeyValuePair<string, string>> stored)
    {
        var bySlice = new Dictionary<int, List<KeyValuePair<string, string>>>();
        foreach (var (name, value) in stored)
        {
            var (field, slice) = Parse(name);
            // Unsliced fields (offsets, or an item written before slicing) form a slice of their own.
            var key = slice ?? -1;
            if (!bySlice.TryGetValue(key, out var fields)) bySlice[key] = fields = [];
            fields.Add(new(field, value));
        }
        var slices = new List<ItemFeatureState>(bySlice.Count);
        foreach (var (slice, fields) in bySlice)
        {
            var state = new ItemFeatureState(itemId, allowedLateness) { Slice = slice < 0 ? null : slice };
            state.Restore(fields);
            slices.Add(state);
        }
        return ItemFeatureState.Merge(itemId, allowedLateness, slices);
    }

    private static string Suffix(int slice) =>
        (uint)slice < (uint)Suffixes.Length ? Suffixes[slice] : Marker + slice.ToString(CultureInfo.InvariantCulture);
}
