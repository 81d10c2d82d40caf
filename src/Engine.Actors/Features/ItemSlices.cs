using System.Globalization;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Features;

/// <summary>
/// How an item's per-partition slices are stored (docs/features.md): each slice is a hash of its own,
/// <c>{prefix}i:{item}:p{partition}</c>, with the usual item fields, written only by that partition's owner (absolute
/// values, guarded by its partition's offset); the item's hash <c>{prefix}i:{item}</c> lists its slices as fields
/// <c>slice:{partition}</c>, so a reader finds them in one round trip and sums them (<see cref="ItemFeatureState.Merge"/>).
/// An owner loads exactly its slice: one small hash, whatever the number of partitions.
/// </summary>
public static class ItemSlices
{
    private const string SlicePrefix = "slice:";

    /// <summary>The field of the item's hash that lists <paramref name="partition"/>'s slice.</summary>
    /// <remarks>Written on each slice's TTL renewal: the shared field-name cache, not a new string each time.</remarks>
    public static string IndexField(int partition) => FieldNames.Of(SlicePrefix, partition);

    /// <summary>The slices listed in the item's hash, and its other fields (an item written before slicing: one more slice).</summary>
    public static (List<int> Slices, List<KeyValuePair<string, string>> Unsliced) Split(IEnumerable<KeyValuePair<string, string>> itemHash)
    {
        var slices = new List<int>();
        var unsliced = new List<KeyValuePair<string, string>>();
        foreach (var (field, value) in itemHash)
        {
            if (field.StartsWith(SlicePrefix, StringComparison.Ordinal)
                && int.TryParse(field.AsSpan(SlicePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
                slices.Add(partition);
            else unsliced.Add(new(field, value));
        }
        return (slices, unsliced);
    }
}
