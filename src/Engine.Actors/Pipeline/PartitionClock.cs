using System.Collections.Concurrent;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Per partition, the latest event time the pipeline has made durable: the partition's event-time "now", by which
/// silence is measured (simulated or replayed streams run on their own clock, not the machine's).
/// </summary>
public sealed class PartitionClock
{
    private readonly ConcurrentDictionary<int, long> _watermarks = new();

    public IReadOnlyDictionary<int, long> Watermarks => _watermarks;

    public void Advance(int partition, long eventTimeMs) =>
        _watermarks.AddOrUpdate(partition, eventTimeMs, (_, known) => Math.Max(known, eventTimeMs));

    /// <summary>
    /// The partition's stream on this node has ended (revoked, or the run stopped): this node's sweeper no longer sweeps it
    /// until a stream of it here writes again. Kept, its stale watermark had two nodes sweep the partition after a
    /// rebalance: the old owner woke users the new one was checking, moved their next check a day on, and the user was
    /// alerted again the next day.
    /// </summary>
    public void Forget(int partition) => _watermarks.TryRemove(partition, out _);
}
