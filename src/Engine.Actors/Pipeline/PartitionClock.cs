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
}
