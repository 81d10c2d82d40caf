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
    private readonly ConcurrentDictionary<int, long> _queued = new();

    /// <summary>The stream handed the changes of the events up to <paramref name="offset"/> to its flusher (not yet acknowledged).</summary>
    public void Queued(int partition, long offset) =>
        _queued.AddOrUpdate(partition, static (_, o) => o, static (_, before, o) => Math.Max(before, o), offset);

    /// <summary>
    /// Completes once Redis holds what the stream has queued for <paramref name="partition"/> so far, or after
    /// <paramref name="limit"/>. An entity loading its state waits for it: when its partition has just moved here, the
    /// previous node's entity may have answered this node's stream, and that answer's flush may still be on its way; a state
    /// loaded before it landed, written back (absolute values) after it, would erase it behind committed offsets.
    /// </summary>
    public async Task CaughtUpAsync(int partition, TimeSpan limit)
    {
        if (!_queued.TryGetValue(partition, out var queued)) return;
        var target = new EventPosition(partition, queued);
        for (var deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds; !Covers(target) && Environment.TickCount64 < deadline;)
            await Task.Delay(5).ConfigureAwait(false);
    }

    public void Advance(int partition, long offset) =>
        _durable.AddOrUpdate(partition, static (_, o) => o, static (_, before, o) => Math.Max(before, o), offset);

    /// <summary>True once Redis holds the changes of the event at <paramref name="position"/> and of every event before it in its partition.</summary>
    public bool Covers(EventPosition position) =>
        _durable.TryGetValue(position.Partition, out var durable) && durable >= position.Offset;
}
