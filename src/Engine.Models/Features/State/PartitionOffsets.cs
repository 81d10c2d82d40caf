using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// The highest offset per partition whose event this state already reflects. Kafka delivers a partition in
/// order, so an event at or below it was applied before: replaying it must change nothing.
/// Stored as hash fields <c>o:{partition}</c>.
/// </summary>
public sealed class PartitionOffsets
{
    private const string Prefix = "o:";
    private readonly Dictionary<int, long> _offsets = [];
    private readonly HashSet<int> _dirty = [];

    public IReadOnlyDictionary<int, long> Covered => _offsets;

    public bool Covers(EventPosition position) =>
        _offsets.TryGetValue(position.Partition, out var offset) && position.Offset <= offset;

    public void Record(EventPosition position)
    {
        _offsets[position.Partition] = position.Offset;
        _dirty.Add(position.Partition);
    }

    /// <summary>Covers what <paramref name="other"/> covers too (a read-only union of slices: nothing marked for writing).</summary>
    public void AddAll(PartitionOffsets other)
    {
        foreach (var (partition, offset) in other._offsets)
            _offsets[partition] = Math.Max(_offsets.GetValueOrDefault(partition, -1), offset);
    }

    public void Drain(EntityChanges changes)
    {
        foreach (var partition in _dirty)
        {
            changes.Set.Add(new(FieldNames.Of(Prefix, partition), _offsets[partition].ToString(CultureInfo.InvariantCulture)));
        }
        _dirty.Clear();
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        _offsets[int.Parse(field.AsSpan(Prefix.Length), CultureInfo.InvariantCulture)] = long.Parse(value, CultureInfo.InvariantCulture);
        return true;
    }
}
