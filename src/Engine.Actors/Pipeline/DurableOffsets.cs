using System.Collections.Concurrent;
using Engine.Models.Features;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Per partition of one stream on this node, the highest offset whose feature changes Redis holds (acknowledged, or
/// superseded by a later owner's). Entities read it before they passivate (<see cref="Sharding.IdlePassivation"/>).
/// Keep one per stream for the node's lifetime (across restarts): offsets only grow within a partition.
/// </summary>
public sealed class DurableOffsets
{
    private readonly ConcurrentDictionary<int, long> _durable = new();

    public void Advance(int partition, long offset) =>
        _durable.AddOrUpdate(partition, static (_, o) => o, static (_, before, o) => Math.Max(before, o), offset);

    /// <summary>True once Redis holds the changes of the event at <paramref name="position"/> and of every event before it in its partition.</summary>
    public bool Covers(EventPosition position) =>
        _durable.TryGetValue(position.Partition, out var durable) && durable >= position.Offset;
}
