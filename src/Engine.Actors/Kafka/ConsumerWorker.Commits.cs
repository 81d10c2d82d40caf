using System.Collections.Concurrent;
using Akka.Event;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

// Commits run on a thread of their own (the commit lane), one at a time, in order. A commit waits for the group's
// coordinator, which the partitions' leaders do not need: run on the poll thread (before 2026-12-07), each one stopped
// reading every partition for as long as the coordinator was away (a broker's restart: seconds, up to a session).
// A revocation ends its leases under the commit gate, so no commit of a revoked partition is in flight or sent after it.
internal sealed partial class ConsumerWorker
{
    private const int MaxCommitAttempts = 100;
    private static readonly TimeSpan CommitRetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentQueue<ConsumerCommand.Commit> _commits = new();
    private readonly ManualResetEventSlim _commitArrived = new();
    // Set after each commit ends: a revocation's drain waits on it.
    private readonly ManualResetEventSlim _commitEnded = new();
    // Held while a commit is checked and sent, and while leases end: a revoked lease's offsets never reach Kafka.
    private readonly Lock _commitGate = new();
    private readonly List<ConsumerCommand.Commit> _retries = [];
    private Thread? _commitLane;
    private volatile bool _commitLaneStopping;

    private void RunCommands()
    {
        while (_commands.TryDequeue(out var command))
        {
            switch (command)
            {
                case ConsumerCommand.Close: _closing = true; break;
                case ConsumerCommand.Abandon abandon: _abandoned.Add(abandon); break;
                case ConsumerCommand.Halt halt:
                    // The commit under way (if any) has ended: none after it reaches Kafka (each checks the halt first).
                    lock (_commitGate) halt.Passed.TrySetResult();
                    break;
            }
        }
    }

    private void StartCommitLane()
    {
        _commitLane = new Thread(RunCommitLane) { IsBackground = true, Name = "kafka-commit-" + _settings.GroupId };
        _commitLane.Start();
    }

    private void RunCommitLane()
    {
        while (!_commitLaneStopping)
        {
            _commitArrived.Wait(NextRetryIn());
            _commitArrived.Reset();
            if (_commitLaneStopping) break;
            RetryDueCommits();
            while (!_commitLaneStopping && _commits.TryDequeue(out var commit)) ExecuteCommit(commit);
        }
    }

    /// <summary>
    /// Stops the commit lane once its commit under way ends (before the consumer is disposed): a consumer's close fails the
    /// commits that wait for a coordinator, so this is bounded; past a minute the lane is left to end on its own.
    /// </summary>
    private void StopCommitLane()
    {
        _commitLaneStopping = true;
        _commitArrived.Set();
        if (_commitLane is { } lane && lane != Thread.CurrentThread && !lane.Join(TimeSpan.FromMinutes(1)))
            _log.Warning("Kafka consumer {0}: a commit still waits for Kafka after the consumer closed", _settings.GroupId);
    }

    private TimeSpan NextRetryIn()
    {
        if (_retries.Count == 0) return Timeout.InfiniteTimeSpan;
        var wait = _retries.Min(r => r.RetryAfter) - DateTime.UtcNow;
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
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
        lock (_commitGate)
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
            finally
            {
                _commitEnded.Set();
            }
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
    /// The poll thread's last act: takes no more commits (<see cref="CommitAsync"/>) or halts, stops the commit lane, then
    /// fails the commits still queued or waiting for a retry (a halt queued meanwhile has nothing left to wait for).
    /// </summary>
    private void FailPendingCommits(Exception reason)
    {
        lock (_closeGate) _closed = _pollThreadEnded = true;
        StopCommitLane();
        foreach (var commit in _retries) commit.Done.TrySetException(reason);
        _retries.Clear();
        while (_commits.TryDequeue(out var commit)) commit.Done.TrySetException(reason);
        while (_commands.TryDequeue(out var command))
            if (command is ConsumerCommand.Halt halt) halt.Passed.TrySetResult();
    }
}
