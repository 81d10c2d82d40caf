using Akka.Event;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

// Commits run on the poll thread, between polls, so they never race the consume loop.
internal sealed partial class ConsumerWorker
{
    private const int MaxCommitAttempts = 100;
    private static readonly TimeSpan CommitRetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly List<ConsumerCommand.Commit> _retries = [];

    private void RunCommands()
    {
        RetryDueCommits();
        while (_commands.TryDequeue(out var command))
        {
            switch (command)
            {
                case ConsumerCommand.Commit commit: ExecuteCommit(commit); break;
                case ConsumerCommand.Close: _closing = true; break;
                case ConsumerCommand.Abandon abandon: _abandoned.Add(abandon); break;
                case ConsumerCommand.Halt halt: halt.Passed.TrySetResult(); break;
            }
        }
    }

    private void RetryDueCommits()
    {
        if (_retries.Count == 0) return;
        var now = DateTime.UtcNow;
        var due = _retries.Where(r => r.RetryAfter <= now).ToList();
        foreach (var commit in due)
        {
            _retries.Remove(commit);
            ExecuteCommit(commit);
        }
    }

    private void ExecuteCommit(ConsumerCommand.Commit commit)
    {
        if (_halted)
        {
            commit.Done.TrySetException(new InvalidOperationException("Kafka consumer halted; offsets not committed"));
            return;
        }
        var next = new Dictionary<PartitionLease, long>();
        var stale = 0;
        foreach (var offset in commit.Offsets)
        {
            if (offset.Lease.Revoked)
            {
                stale++;
                continue;
            }
            var position = offset.Offset + 1;
            // Never move a committed position backwards (a retried commit may arrive after a newer one).
            if (position > offset.Lease.Committed && (!next.TryGetValue(offset.Lease, out var known) || position > known))
                next[offset.Lease] = position;
        }
        if (stale > 0)
        {
            Metrics.StaleDropped(stale);
            _log.Warning("Kafka consumer {0}: ignored {1} offset(s) of partitions revoked since they were read", _settings.GroupId, stale);
        }
        if (next.Count == 0)
        {
            commit.Done.TrySetResult();
            return;
        }
        try
        {
            _consumer!.Commit(next.Select(kv => new TopicPartitionOffset(kv.Key.Partition, kv.Value)));
            foreach (var (lease, position) in next) lease.Committed = position;
            Metrics.AddCommitted(next.Count);
            commit.Done.TrySetResult();
        }
        catch (KafkaException e) when (IsRetriable(e) && ++commit.Attempts < MaxCommitAttempts)
        {
            // Typically 'rebalance in progress': retry once the new assignment is in place (stale ones are dropped then).
            _log.Info("Kafka consumer {0}: commit failed ({1}), retrying", _settings.GroupId, e.Error.Reason);
            commit.RetryAfter = DateTime.UtcNow + CommitRetryDelay;
            _retries.Add(commit);
            Metrics.CommitRetried();
        }
        catch (KafkaException e)
        {
            commit.Done.TrySetException(e);
        }
    }

    private static bool IsRetriable(KafkaException e)
    {
        if (e is TopicPartitionOffsetException tpo)
            return tpo.Results.Where(r => r.Error.IsError).All(r => IsRetriable(r.Error.Code));
        return IsRetriable(e.Error.Code);
    }

    private static bool IsRetriable(ErrorCode code) => code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration
        or ErrorCode.UnknownMemberId or ErrorCode.NotCoordinatorForGroup or ErrorCode.GroupCoordinatorNotAvailable
        or ErrorCode.GroupLoadInProgress or ErrorCode.RequestTimedOut or ErrorCode.Local_TimedOut
        or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_WaitCoord or StaleMemberEpoch;

    /// <summary>
    /// KIP-848's STALE_MEMBER_EPOCH (113; Confluent.Kafka's enum does not name it): a commit that raced the member's epoch
    /// bump, which librdkafka does not retry for manual commits. Retried like a rebalance: the partitions really revoked
    /// meanwhile are dropped as stale then.
    /// </summary>
    private const ErrorCode StaleMemberEpoch = (ErrorCode)113;

    /// <summary>
    /// The poll thread's last act: takes no more commits (<see cref="CommitAsync"/>) or halts, then fails the commits still
    /// queued or waiting for a retry (a halt queued meanwhile has nothing left to wait for).
    /// </summary>
    private void FailPendingCommits(Exception reason)
    {
        lock (_closeGate) _closed = _pollThreadEnded = true;
        foreach (var commit in _retries) commit.Done.TrySetException(reason);
        _retries.Clear();
        while (_commands.TryDequeue(out var command))
        {
            if (command is ConsumerCommand.Commit commit) commit.Done.TrySetException(reason);
            else if (command is ConsumerCommand.Halt halt) halt.Passed.TrySetResult();
        }
    }
}
