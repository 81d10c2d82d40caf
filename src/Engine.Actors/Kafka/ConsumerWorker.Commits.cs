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
    // Completes when the lane has ended and failed what it still held: only then may the consumer be destroyed.
    private readonly TaskCompletionSource _commitLaneEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // What ended the lane other than a stop (a bug, or a disposed handle): the poll loop fails with it.
    private volatile Exception? _commitLaneFailure;

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
        var lane = new Thread(RunCommitLane) { IsBackground = true, Name = "kafka-commit-" + _settings.GroupId };
        lane.Start();
        _commitLane = lane; // only once started: a lane that never ran is never waited for
    }

    private void RunCommitLane()
    {
        Exception ended = ClosedBeforeCommitted();
        try
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
        catch (Exception e)
        {
            // Not Kafka's refusal (those complete their commit): the poll loop fails the stream with it, to be restarted,
            // and no commit is taken any more (it would wait for a lane that has ended).
            _log.Error(e, "Kafka consumer {0}: the commit lane failed", _settings.GroupId);
            (_commitLaneFailure, ended) = (e, e);
            lock (_closeGate) _closed = true;
        }
        finally
        {
            // The lane alone touches the retries: what it still holds fails here, then the consumer may be destroyed.
            foreach (var commit in _retries) commit.Done.TrySetException(ended);
            _retries.Clear();
            while (_commits.TryDequeue(out var commit)) commit.Done.TrySetException(ended);
            _commitLaneEnded.TrySetResult();
        }
    }

    /// <summary>
    /// Stops the commit lane once its commit under way ends: a consumer's close fails the commits that wait for a
    /// coordinator, and librdkafka fails them a session after the coordinator went away, so this is bounded. True when the
    /// lane has ended (the consumer may be destroyed); past a minute it is left to end on its own.
    /// </summary>
    private bool StopCommitLane()
    {
        if (_commitLaneStopping) return _commitLaneEnded.Task.IsCompleted; // waited for once already (a close that threw)
        _commitLaneStopping = true;
        _commitArrived.Set();
        if (_commitLane is null) _commitLaneEnded.TrySetResult(); // never started (the consumer was not built)
        if (_commitLaneEnded.Task.Wait(TimeSpan.FromMinutes(1))) return true;
        _log.Warning("Kafka consumer {0}: a commit still waits for Kafka after the consumer stopped; it is closed once that commit ends", _settings.GroupId);
        return false;
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
                // Left behind by a close (its revocation ended the leases first): not committed, and said so.
                if (commit.Offsets.Any(o => o.Lease.EndedByClose)) commit.Done.TrySetException(ClosedBeforeCommitted());
                else commit.Done.TrySetResult();
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
            catch (Exception e)
            {
                commit.Done.TrySetException(e); // in hand, in neither queue: failed here, then the lane fails
                throw;
            }
            finally
            {
                _commitEnded.Set();
            }
        }
    }

    private static InvalidOperationException ClosedBeforeCommitted() => new("Kafka consumer closed before these offsets were committed");

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
    /// The poll thread's last act: takes no more commits (<see cref="CommitAsync"/>), stops the commit lane (which fails
    /// what it still holds), then takes no more halts and passes those queued once the lane has ended: no commit reaches
    /// Kafka after them. False when the lane did not end (a commit still waits for Kafka): the consumer must not be
    /// destroyed under it.
    /// </summary>
    private bool FailPendingCommits()
    {
        lock (_closeGate) _closed = true;
        var ended = StopCommitLane();
        // Queued after the lane failed and before the gate closed: nothing will run them.
        if (ended) while (_commits.TryDequeue(out var commit)) commit.Done.TrySetException(ClosedBeforeCommitted());
        lock (_closeGate) _pollThreadEnded = true;
        while (_commands.TryDequeue(out var command))
            if (command is ConsumerCommand.Halt halt) _commitLaneEnded.Task.ContinueWith(_ => halt.Passed.TrySetResult(), TaskScheduler.Default);
        return ended;
    }
}
