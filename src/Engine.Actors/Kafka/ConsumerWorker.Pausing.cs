namespace Engine.Actors.Kafka;

// Backpressure without unbounded buffers: a partition the stream is behind on is paused, and resumed once drained.
internal sealed partial class ConsumerWorker
{
    /// <summary>Pauses a partition the stream is behind on (counted: it is the backpressure the metrics show).</summary>
    private void Pause(PartitionLease lease)
    {
        if (lease.Paused) return;
        _consumer!.Pause([lease.Partition]);
        lease.Paused = true;
        Metrics.Paused();
    }

    private void AdjustPauses()
    {
        if (_stopped) return;
        foreach (var lease in _leases.Values)
        {
            if (!lease.Paused || lease.Buffered > _settings.MaxBufferedPerPartition / 2) continue;
            _consumer!.Resume([lease.Partition]);
            lease.Paused = false;
            Metrics.Resumed();
        }
    }

    private void StopEmitting()
    {
        _stopped = true;
        // Nothing is emitted any more: stop fetching (the consumer keeps polling for commits and group membership).
        _consumer!.Pause(_leases.Keys);
        _routing.Stopped();
    }
}
