using System.Collections.Concurrent;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Per partition, the latest event time the pipeline has made durable: the partition's event-time "now", by which
/// silence is measured (simulated or replayed streams run on their own clock, not the machine's).
/// </summary>
public sealed class PartitionClock
{
    private readonly ConcurrentDictionary<int, long> _watermarks = new();
    private readonly ConcurrentDictionary<int, long> _movedAtMs = new(); // Environment.TickCount64 when each last moved

    public IReadOnlyDictionary<int, long> Watermarks => _watermarks;

    public void Advance(int partition, long eventTimeMs)
    {
        var known = _watermarks.AddOrUpdate(partition, eventTimeMs, (_, known) => Math.Max(known, eventTimeMs));
        if (known == eventTimeMs) _movedAtMs[partition] = Environment.TickCount64;
    }

    /// <summary>
    /// How long each partition's clock has stood still, by this machine's clock. Only events move it: a partition that gets
    /// none (a quiet shop at night, or one whose producer stopped) checks none of its quiet users until its next event.
    /// </summary>
    public IEnumerable<(int Partition, TimeSpan StillFor)> StillFor()
    {
        var now = Environment.TickCount64;
        foreach (var (partition, movedAt) in _movedAtMs)
            if (_watermarks.ContainsKey(partition)) yield return (partition, TimeSpan.FromMilliseconds(now - movedAt));
    }

    /// <summary>
    /// The partition's stream on this node has ended (revoked, or the run stopped): this node's sweeper no longer sweeps it
    /// until a stream of it here writes again. Kept, its stale watermark had two nodes sweep the partition after a
    /// rebalance: the old owner woke users the new one was checking, moved their next check a day on, and the user was
    /// alerted again the next day.
    /// </summary>
    public void Forget(int partition)
    {
        _watermarks.TryRemove(partition, out _);
        _movedAtMs.TryRemove(partition, out _);
    }
}
