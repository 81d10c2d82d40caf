using Akka.Event;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

// Rebalance callbacks: librdkafka calls them from inside Consume, i.e. on the poll thread.
internal sealed partial class ConsumerWorker
{
    // Partition sources cancelled downstream, judged once their grace has passed (see Abandoned).
    private readonly List<ConsumerCommand.Abandon> _abandoned = [];

    /// <summary>Fails the consumer for a partition source cancelled while the partition is still assigned and nothing is stopping.</summary>
    private void JudgeAbandoned()
    {
        if (_abandoned.Count == 0) return;
        var now = DateTime.UtcNow;
        foreach (var abandon in _abandoned)
        {
            if (abandon.JudgedAt > now || abandon.Lease.Revoked || _stopRequested) continue;
            throw new InvalidOperationException(
                $"the stream cancelled the source of {abandon.Lease.Partition} while this consumer still owns it: nothing would read the " +
                "partition any more, and it would stall unseen. Keep a partition's source running until it completes (revocation or " +
                "shutdown), or end the whole source; the source fails instead, so that it can be restarted from the last commit");
        }
        _abandoned.RemoveAll(a => a.Lease.Revoked || _stopRequested);
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        // A join that completed: the group and the assigned topics are authorized now, so a refusal before it (ACLs spreading at
        // start-up) no longer counts towards the tolerance. Only a record read reset it before 2026-12-07, and on an idle topic
        // one refusal at a later rebalance, hours on, failed the stream at once.
        _refusedSince = null;
        Metrics.Assigned();
        foreach (var partition in partitions)
        {
            var lease = new PartitionLease(partition, _routing.Assigned(partition), this);
            _leases[partition] = lease;
            _routing.Started(lease);
        }
        _log.Info("Kafka consumer {0} assigned {1}", _settings.GroupId, Describe(partitions));
    }

    /// <summary>
    /// Before giving partitions up: stop emitting them, wait (bounded) until what was emitted is committed, so the
    /// next owner starts where we stopped; the rest is read again by the next owner (at-least-once).
    /// </summary>
    private void OnRevoked(List<TopicPartitionOffset> partitions)
    {
        var leases = partitions.Select(p => _leases.GetValueOrDefault(p.TopicPartition)).OfType<PartitionLease>().ToList();
        foreach (var lease in leases) lease.BeginRevoke();
        var deadline = _failed || _halted ? DateTime.UtcNow : DateTime.UtcNow + _settings.EffectiveDrainTimeout;
        // The commit lane commits meanwhile: this thread only waits for it.
        while (leases.Any(l => l.HasUncommittedEmitted) && DateTime.UtcNow < deadline && !_halted)
        {
            _commitEnded.Wait(TimeSpan.FromMilliseconds(10));
            _commitEnded.Reset(); // a signal lost here costs at most one 10 ms wait
        }
        var undrained = leases.Where(l => l.HasUncommittedEmitted).Select(l => l.Partition).ToList();
        // With no drain time configured, leaving offsets behind is the caller's choice, not a surprise worth a warning.
        if (undrained.Count > 0 && _settings.EffectiveDrainTimeout > TimeSpan.Zero && !_failed && !_halted)
            _log.Warning("Kafka consumer {0}: revoking {1} with offsets still in flight; the next owner re-reads them",
                _settings.GroupId, Describe(undrained));
        EndLeases(leases);
        _log.Info("Kafka consumer {0} revoked {1}", _settings.GroupId, Describe(partitions.Select(p => p.TopicPartition)));
    }

    /// <summary>Partitions lost (session expired): another member may own them already, so nothing is committed.</summary>
    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        EndLeases(partitions.Select(p => _leases.GetValueOrDefault(p.TopicPartition)).OfType<PartitionLease>().ToList());
        _log.Warning("Kafka consumer {0} lost {1}", _settings.GroupId, Describe(partitions.Select(p => p.TopicPartition)));
    }

    private void EndLeases(List<PartitionLease> leases)
    {
        // Under the commit gate: a commit of these partitions under way ends first, and none is sent after.
        lock (_commitGate)
        {
            foreach (var lease in leases)
            {
                lease.EndedByClose = _closing;
                lease.EndRevoke();
                // librdkafka keeps a partition's pause flag across revoke and re-assign, while the next lease starts unpaused:
                // left paused, a partition given back to us would never be read again. (In the assigned handler it is too early.)
                if (lease.Paused) _consumer!.Resume([lease.Partition]);
                _leases.Remove(lease.Partition);
                _routing.Revoked(lease);
            }
        }
        _lastLease = null;
    }

    /// <summary>Short text for a set of partitions (a 64-partition assignment should not make a 3 kB log line).</summary>
    private static string Describe(IEnumerable<TopicPartition> partitions)
    {
        var byTopic = partitions.GroupBy(p => p.Topic).Select(g => $"{g.Key}[{string.Join(",", g.Select(p => p.Partition.Value).Order())}]");
        return string.Join(" ", byTopic);
    }
}
