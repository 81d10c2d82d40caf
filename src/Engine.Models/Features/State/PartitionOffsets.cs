using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// The highest offset per partition whose event this state already reflects. Kafka delivers a partition in
/// order, so an event at or below it was applied before: replaying it must change nothing.
/// Stored as hash fields <c>{prefix}{partition}</c> (<c>o:3</c> for the topic the entity is fed from).
/// </summary>
public sealed class PartitionOffsets(string prefix = "o:")
{
    private const long None = long.MinValue;

    /// <summary>
    /// Partitions numbered from here on are beyond any topic the engine reads (<c>Kafka:Partitions</c> is at most 1,024, and a
    /// node streams at most that many): refused, as the arrays indexed by partition grow to the number (a forged forward origin
    /// naming partition 2147483647 overflowed their growth, 10^9 took gigabytes; a review, 2026-12-07).
    /// </summary>
    public const int MaxPartitions = 1_024;
    // Indexed by partition (a topic has few, numbered from 0): an event's check and record are two array accesses.
    private long[] _offsets = [];
    private bool[] _dirty = [];
    private int _dirtyCount;

    /// <summary>A snapshot of the covered offset per partition.</summary>
    public IReadOnlyDictionary<int, long> Covered
    {
        get
        {
            var covered = new Dictionary<int, long>();
            for (var p = 0; p < _offsets.Length; p++)
            {
                if (_offsets[p] != None) covered[p] = _offsets[p];
            }
            return covered;
        }
    }

    public bool Covers(EventPosition position) =>
        (uint)position.Partition < (uint)_offsets.Length && _offsets[position.Partition] != None && position.Offset <= _offsets[position.Partition];

    public void Record(EventPosition position)
    {
        Set(position.Partition, position.Offset);
        if (_dirty[position.Partition]) return;
        _dirty[position.Partition] = true;
        _dirtyCount++;
    }

    /// <summary>Covers what <paramref name="other"/> covers too (a read-only union of slices: nothing marked for writing).</summary>
    public void AddAll(PartitionOffsets other)
    {
        for (var p = 0; p < other._offsets.Length; p++)
        {
            if (other._offsets[p] == None) continue;
            if (p >= _offsets.Length || other._offsets[p] > _offsets[p]) Set(p, other._offsets[p]);
        }
    }

    public void Drain(EntityChanges changes)
    {
        if (_dirtyCount == 0) return;
        for (var p = 0; p < _dirty.Length; p++)
        {
            if (!_dirty[p]) continue;
            changes.Add(FieldNames.Of(prefix, p), _offsets[p]);
            _dirty[p] = false;
        }
        _dirtyCount = 0;
    }

    /// <summary>Marks every partition's offset for the next drain.</summary>
    public void MarkAll()
    {
        for (var p = 0; p < _offsets.Length; p++)
        {
            if (_offsets[p] == None || _dirty[p]) continue;
            _dirty[p] = true;
            _dirtyCount++;
        }
    }

    public bool TryRestore(string field, string value)
    {
        if (!field.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var partition = int.Parse(field.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
        // Stored before the bound (from a forged origin): no real partition's, so nothing a replay could meet.
        if (partition < MaxPartitions) Set(partition, long.Parse(value, CultureInfo.InvariantCulture));
        return true;
    }

    private void Set(int partition, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, MaxPartitions);
        if (partition >= _offsets.Length)
        {
            var length = Math.Max(partition + 1, _offsets.Length * 2);
            var grown = new long[length];
            Array.Fill(grown, None);
            _offsets.CopyTo(grown, 0);
            _offsets = grown;
            Array.Resize(ref _dirty, length);
        }
        _offsets[partition] = offset;
    }
}
