using System.Collections.Concurrent;
using Engine.Actors.Features;

namespace Engine.Actors.Pipeline;

/// <summary>
/// One writer at a time per partition on this node. A partition's next substream (a new lease after a rebalance that
/// gave the partition back, or the next run after a pipeline restart) starts reading only once the previous one has
/// ended and its last flush has completed. Without it, a revoked lease whose drain timed out kept flushing while the
/// new one replayed: the entities, still alive here, answered the replay as duplicates with no changes, the new
/// writer's later offset reached Redis first, and the old flush, refused as superseded, lost its changes for good.
/// Keep one per stream for the node's lifetime (across restarts).
/// </summary>
public sealed class PartitionFences
{
    private readonly ConcurrentDictionary<int, Task> _released = new();
    private readonly Dictionary<int, (DateTime Since, List<ItemEvent> Events)> _unwritten = [];

    /// <summary>
    /// Returns the partition's fence, which the new writer waits for before it reads, and makes the next fence
    /// <paramref name="released"/> (completed when the new writer has ended and flushed) together with the one returned:
    /// a writer that ends while still waiting (its run failed) has flushed nothing, but its predecessor may still be
    /// flushing, and the writer after it must wait for that one too (before, it read at once).
    /// </summary>
    public Task Enter(int partition, Task released)
    {
        var previous = Task.CompletedTask;
        _released.AddOrUpdate(partition, released, (_, before) =>
        {
            previous = before;
            return before.IsCompleted ? released : Task.WhenAll(before, released);
        });
        return previous;
    }

    /// <summary>
    /// A writer that gave up its partition's flushes (revoked) leaves the item events it never wrote, with their co-visits,
    /// for the partition's next writer on this node: that one replays the same events, but the entities, still alive
    /// here, answer them as duplicates, which carry no co-visits. Applied first, they count once (a slice skips positions
    /// it holds). Kept for <see cref="UnwrittenKeptFor"/> at most (past it those entities have passivated or moved, and a
    /// replay carries its own), and at most <see cref="MaxUnwritten"/> a partition (the rest are dropped: co-visits lost,
    /// nothing counted twice). On another node the replay's entities reload and carry their own co-visits once their shard
    /// has moved there; asked across nodes before it moves, the old node's entities answer as duplicates, and those are lost.
    /// </summary>
    public void LeaveUnwritten(int partition, IReadOnlyList<ItemEvent> events)
    {
        if (events.Count == 0) return;
        lock (_unwritten)
        {
            DropStale(DateTime.UtcNow);
            if (!_unwritten.TryGetValue(partition, out var left)) _unwritten[partition] = left = (DateTime.UtcNow, []);
            left.Events.AddRange(events.Take(MaxUnwritten - left.Events.Count));
        }
    }

    /// <summary>The item events an earlier writer of the partition left unwritten, in partition order (taken: the next call gets none).</summary>
    public List<ItemEvent> TakeUnwritten(int partition)
    {
        lock (_unwritten)
        {
            DropStale(DateTime.UtcNow);
            return _unwritten.Remove(partition, out var left) ? left.Events : [];
        }
    }

    public static readonly TimeSpan UnwrittenKeptFor = TimeSpan.FromMinutes(10);
    public const int MaxUnwritten = 50_000;

    private void DropStale(DateTime now)
    {
        foreach (var (partition, left) in _unwritten)
            if (now - left.Since > UnwrittenKeptFor) _unwritten.Remove(partition);
    }
}
