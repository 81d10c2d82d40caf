using System.Collections.Concurrent;
using Akka.Event;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// Owns one Confluent consumer and the dedicated thread that polls it: the blocking <c>Consume</c> never runs
/// on a stream or actor thread, and every call on the consumer but commits (consume, pause, close) happens on this
/// thread, so nothing races; commits run in order on a thread of their own (ConsumerWorker.Commits.cs), so that one
/// waiting for the group's coordinator does not stop the reading. The stream talks to it through hand-off queues and
/// the command queues.
/// </summary>
internal sealed partial class ConsumerWorker : IKafkaControl
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(50);
    // While partitions are paused, come back soon to resume them as the stream drains.
    private static readonly TimeSpan PausedPoll = TimeSpan.FromMilliseconds(2);

    private readonly KafkaConsumerSettings _settings;
    private readonly IPartitionRouting _routing;
    private ILoggingAdapter _log = NoLogger.Instance;
    private readonly ConcurrentQueue<ConsumerCommand> _commands = new();
    private readonly Lock _closeGate = new();
    private bool _closed;
    private readonly Dictionary<TopicPartition, PartitionLease> _leases = [];
    private readonly TaskCompletionSource _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConsumer<byte[], byte[]>? _consumer;
    private PartitionLease? _lastLease;
    private volatile bool _stopRequested;
    // A crash's stop (HaltAsync): nothing more is committed, and a revocation waits for no commits.
    private volatile bool _halted;
    private bool _pollThreadStarted, _pollThreadEnded;
    private bool _stopped;
    private bool _closing;
    private bool _closeAttempted;
    // The poll loop failed: the close that leaves the group revokes without waiting for commits that will never come.
    private bool _failed;

    public ConsumerWorker(KafkaConsumerSettings settings, IPartitionRouting routing)
    {
        _settings = settings;
        _routing = routing;
    }

    public KafkaConsumerMetrics Metrics { get; } = new();

    public Task Shutdown => _shutdown.Task;

    /// <summary>Starts the poll thread (from the stage's PreStart, which provides the stream's logger).</summary>
    public void Start(ILoggingAdapter log)
    {
        _log = log;
        lock (_closeGate)
        {
            // Halted before it started (a crash as its stream began): it never joins the group.
            if (_halted)
            {
                _closed = _pollThreadEnded = true;
                _routing.Stopped(); // the source completes, as after any stop (before 2026-12-07 it never did, and its stream hung)
                _shutdown.TrySetResult();
                return;
            }
            _pollThreadStarted = true;
        }
        new Thread(Run) { IsBackground = true, Name = "kafka-poll-" + _settings.GroupId }.Start();
    }

    private void Run()
    {
        try
        {
            _consumer = BuildConsumer();
            StartCommitLane();
            _consumer.Subscribe(_settings.Topics);
            while (true)
            {
                RunCommands();
                JudgeAbandoned();
                // Shutdown sets the stop flag before queuing Close, so the stage always completes before the close.
                if (_stopRequested && !_stopped) StopEmitting();
                if (_closing) break;
                if (_commitLaneFailure is { } laneFailure) throw new InvalidOperationException("the commit lane failed: " + laneFailure.Message, laneFailure);
                ConsumeBurst();
                AdjustPauses();
            }
            CloseConsumer();
            if (_commitLaneFailure is { } failure) throw new InvalidOperationException("the commit lane failed: " + failure.Message, failure);
            _shutdown.TrySetResult();
        }
        catch (Exception e)
        {
            _log.Error(e, "Kafka consumer {0} failed", _settings.GroupId);
            _routing.Failed(e);
            // First what waits on this consumer, then the close: with the coordinator away, a close can take a session.
            var laneEnded = FailPendingCommits();
            // Nothing of this consumer commits any more (the lane has stopped; one stuck in a commit is not waited for, and a
            // failed member's commit is refused once the group moved on): its leases end now, before anything waiting on its
            // shutdown goes on. A fatal error closes nothing, and a close can fail before its revocation: no revocation ended
            // them, and their writers, which give up retrying a flush only once their lease is revoked, retried through a
            // Redis outage after another node took the partition. A consumer whose lane did not end is left undisposed.
            foreach (var lease in _leases.Values) lease.EndRevoke();
            _leases.Clear();
            _shutdown.TrySetException(e);
            // A lane stuck in a commit: the consumer leaves its group once that commit ends, or a restart's rebalance would
            // wait for a member that no longer polls.
            if (laneEnded) LeaveGroupAfter(e);
            else _commitLaneEnded.Task.ContinueWith(_ => LeaveGroupAfter(e), TaskContinuationOptions.LongRunning);
        }
    }

    /// <summary>
    /// Leaves the group before the failed consumer is destroyed. Disposing alone destroys the client without a LeaveGroup,
    /// so the other members (and this source's own restart) would wait out its session (45 s by default) before the next
    /// rebalance could complete: every partition of the group stalled that long after each such failure. A fatal client
    /// error leaves nothing to close with; a close that failed already is not tried twice.
    /// </summary>
    private void LeaveGroupAfter(Exception failure)
    {
        if (_consumer is null) return;
        try
        {
            if (failure is not KafkaException { Error.IsFatal: true } && !_closeAttempted)
            {
                _failed = true; // the revocation the close runs ends the leases at once: nothing will commit any more
                _closeAttempted = true;
                _consumer.Close();
            }
        }
        catch (Exception e)
        {
            _log.Warning("Kafka consumer {0}: leaving the group after the failure failed too ({1}); its members wait for its session to expire",
                _settings.GroupId, e.Message);
        }
        finally
        {
            _consumer.Dispose();
        }
    }

    private IConsumer<byte[], byte[]> BuildConsumer()
    {
        var config = _settings.ToConsumerConfig();
        // Headers unless asked for, and a single topic's name, which is known: not marshalled per message (a string, a list, a header set).
        if (config.Get("dotnet.consumer.consume.result.fields") is null)
            config.ConsumeResultFields = (_settings.Topics is [var only] && !only.StartsWith('^') ? "timestamp" : "topic,timestamp") + (_settings.ReadHeaders ? ",headers" : "");
        return new ConsumerBuilder<byte[], byte[]>(config)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .SetErrorHandler((_, error) =>
            {
                // Logged only: Confluent.Kafka drops what this handler throws. A fatal error also reaches Consume (ERR__FATAL),
                // which fails the poll thread and the stream; the others (a broker down, a connection reset) librdkafka retries.
                if (error.IsFatal) _log.Error("Kafka consumer {0}: fatal: {1}", _settings.GroupId, error.Reason);
                else _log.Warning("Kafka consumer {0}: {1}", _settings.GroupId, error.Reason);
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Warning) _log.Warning("librdkafka {0}: {1}", m.Facility, m.Message);
            })
            .Build();
    }

    private void ConsumeBurst()
    {
        var anyPaused = !_stopped && _leases.Values.Any(l => l.Paused);
        var result = TryConsume(anyPaused ? PausedPoll : IdlePoll);
        if (result is null) return;
        var count = 0;
        do
        {
            Route(result);
            count++;
        } while (count < _settings.PollBurst && (result = TryConsume(TimeSpan.Zero)) is not null);
        Metrics.AddConsumed(count);
        foreach (var lease in _leases.Values) lease.Flush();
    }

    private ConsumeResult<byte[], byte[]>? TryConsume(TimeSpan timeout)
    {
        try
        {
            var result = _consumer!.Consume(timeout);
            if (result is not null) _refusedSince = null;
            return result;
        }
        catch (ConsumeException e) when (!e.Error.IsFatal && !RefusedForGood(e.Error.Code))
        {
            // E.g. a subscribed topic that does not exist yet: librdkafka keeps trying, and so do we.
            _log.Warning("Kafka consumer {0}: {1}", _settings.GroupId, e.Error.Reason);
            return null;
        }
    }

    /// <summary>
    /// Kafka has refused the principal the group or the topic for <see cref="KafkaConsumerSettings.EffectiveRefusalTolerance"/>
    /// with no record read since: no retry of librdkafka's changes that, so it fails the stream (its supervisor restarts it
    /// with backoff, and /readyz and the restart count show it). Before 2026-12-07 it was a warning retried for ever, and the
    /// node looked ready while it read nothing (a review); a refusal that passes (ACLs still spreading) is only logged.
    /// </summary>
    private bool RefusedForGood(ErrorCode code)
    {
        if (code is not (ErrorCode.GroupAuthorizationFailed or ErrorCode.TopicAuthorizationFailed)) return false;
        var now = DateTime.UtcNow;
        _refusedSince ??= now;
        return now - _refusedSince >= _settings.EffectiveRefusalTolerance;
    }

    private DateTime? _refusedSince; // the first refusal since the last record read (poll thread only)

    private void Route(ConsumeResult<byte[], byte[]> result)
    {
        if (_stopped)
        {
            // Nothing is emitted any more; the next owner reads it from the committed offset. A partition assigned (or given
            // back) after the stop is fetched like any other: paused at its first record, or the stopped consumer would
            // fetch and drop its whole backlog for as long as the drain lasts.
            if (_leases.TryGetValue(new TopicPartition(result.Topic ?? _settings.Topics[0], result.Partition), out var given)) Pause(given);
            return;
        }
        var lease = _lastLease;
        // Null when topic names are not marshalled (one topic, not a pattern): it is the subscribed one.
        var topic = result.Topic ?? _settings.Topics[0];
        if (lease is null || lease.Partition.Partition.Value != result.Partition.Value || lease.Partition.Topic != topic)
        {
            if (!_leases.TryGetValue(new TopicPartition(topic, result.Partition), out lease)) return;
            _lastLease = lease;
        }
        // The lease's topic string: one instance per partition rather than one per message.
        topic = lease.Partition.Topic;
        var record = new KafkaRecord(topic, result.Partition.Value, result.Offset.Value,
            result.Message.Key, result.Message.Value, result.Message.Timestamp.UtcDateTime)
        {
            PolledUtc = DateTime.UtcNow,
            Headers = _settings.ReadHeaders ? result.Message.Headers : null,
        };
        var offset = new CommittableOffset(_settings.GroupId, topic, result.Partition.Value, result.Offset.Value) { Lease = lease };
        lease.Collect(new CommittableMessage(record, offset));
        var buffered = lease.Buffered;
        Metrics.ObserveBuffered(buffered);
        // Pausing also discards what librdkafka prefetched for the partition (a version barrier), and it refetches from
        // the next unconsumed offset on resume: so the bound holds without rewinding anything ourselves.
        if (buffered >= _settings.MaxBufferedPerPartition) Pause(lease);
    }

    private void CloseConsumer()
    {
        try
        {
            // Close runs the revocation (which waits for in-flight offsets, committed by the commit lane) and leaves the group.
            _closeAttempted = true;
            _consumer!.Close();
        }
        finally
        {
            // Confluent's Close disposes the consumer too: what the lane might still send was refused under the commit gate by
            // the close's revocation (every lease ended). Disposed again only once the lane has ended.
            if (FailPendingCommits()) _consumer!.Dispose();
        }
    }
}
