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
    // Entities gone from here with an answer Redis did not hold yet, by partition and entity id: the latest such answer.
    // By entity (before 2026-12-06, by partition): another entity's answer is not in this one's state, and waiting for it
    // could wait on an answer held up behind this entity's own next event.
    private readonly ConcurrentDictionary<(int Partition, string EntityId), long> _awaited = new();
    // Writers of each partition running on this node (a new one may start while the previous ends).
    private readonly ConcurrentDictionary<int, int> _writers = new();

    /// <summary>
    /// An entity answered this node's stream for the event at <paramref name="offset"/> and is gone before Redis held its
    /// changes, so the next entity of its partition to load here waits for them (<see cref="CaughtUpAsync"/>): an entity on
    /// another node (while a partition's shard moves here after the partition did), or one of this node's that stopped with
    /// an answer on its way (an event already in its mailbox when it asked to passivate).
    /// </summary>
    /// <remarks>Only while a writer of the partition runs here: once it ended (<see cref="Forget"/>), nothing it queued can land,
    /// and its successor replays from the commit (an entity stopped by a stream's restart, after its writers ended, made every
    /// load of the next run wait out its limit for a flush that could never come).</remarks>
    public void AwaitBeforeLoading(int partition, string entityId, long offset)
    {
        if (!_writers.TryGetValue(partition, out var writers) || writers <= 0) return;
        _awaited.AddOrUpdate((partition, entityId), static (_, o) => o, static (_, before, o) => Math.Max(before, o), offset);
    }

    /// <summary>A writer of the partition starts on this node (see <see cref="Forget"/>).</summary>
    public void Writing(int partition) => _writers.AddOrUpdate(partition, 1, static (_, n) => n + 1);

    /// <summary>The partition's writer ended: nothing it queued can land any more, so no load waits for it.</summary>
    public void Forget(int partition)
    {
        _writers.AddOrUpdate(partition, 0, static (_, n) => Math.Max(0, n - 1));
        foreach (var key in _awaited.Keys)
            if (key.Partition == partition) _awaited.TryRemove(key, out _);
    }

    /// <summary>
    /// Completes once Redis holds what <paramref name="entityId"/>, gone from here, answered this node's stream for
    /// <paramref name="partition"/> (<see cref="AwaitBeforeLoading"/>), or once that partition's writer ended
    /// (<see cref="Forget"/>: nothing it queued can land); at once when it left nothing. The entity loading its state waits
    /// for it: a state loaded before such a flush landed, written back (absolute values) after it, would erase it behind
    /// committed offsets.
    /// </summary>
    /// <exception cref="TimeoutException">Past <paramref name="limit"/> (Redis holding writes while it serves reads): the
    /// entity must not load. Before 2026-12-06 it loaded the state without that flush all the same, and its next write
    /// erased it once it landed, behind offsets that were then committed.</exception>
    public async Task CaughtUpAsync(int partition, string entityId, TimeSpan limit)
    {
        var key = (partition, entityId);
        var deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        // The latest answer each time round: one that arrives during the wait (an answer the previous node sent just before its
        // entity stopped) raises it, and before 2026-12-07 the wait ended at the answer it first read.
        while (_awaited.TryGetValue(key, out var queued))
        {
            if (Covers(new EventPosition(partition, queued)))
            {
                _awaited.TryRemove(KeyValuePair.Create(key, queued)); // held by Redis: no later load waits for it (unless raised meanwhile)
                continue;
            }
            if (Environment.TickCount64 >= deadline)
                throw new TimeoutException($"Redis has not acknowledged, within {limit.TotalSeconds:0.#} s, the changes of partition {partition} " +
                                           $"up to offset {queued} that this entity answered before it stopped: not loading a state they would be missing from");
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    public void Advance(int partition, long offset) =>
        _durable.AddOrUpdate(partition, static (_, o) => o, static (_, before, o) => Math.Max(before, o), offset);

    /// <summary>True once Redis holds the changes of the event at <paramref name="position"/> and of every event before it in its partition.</summary>
    public bool Covers(EventPosition position) =>
        _durable.TryGetValue(position.Partition, out var durable) && durable >= position.Offset;
}
