using System.Collections.Concurrent;
using Akka.Event;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// Owns one Confluent consumer and the dedicated thread that polls it: the blocking <c>Consume</c> never runs
/// on a stream or actor thread, and every call on the consumer (consume, pause, commit, close) happens on this
/// thread, so nothing races. The stream talks to it through hand-off queues and the command queue.
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
    private readonly SemaphoreSlim _commandArrived = new(0);
    private readonly Dictionary<TopicPartition, PartitionLease> _leases = [];
    private readonly TaskCompletionSource _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IConsumer<byte[], byte[]>? _consumer;
    private PartitionLease? _lastLease;
    private volatile bool _stopRequested;
    private bool _stopped;
    private bool _closing;

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
        new Thread(Run) { IsBackground = true, Name = "kafka-poll-" + _settings.GroupId }.Start();
    }

    public void Stop() => _stopRequested = true;

    public Task ShutdownAsync()
    {
        Stop();
        Enqueue(new ConsumerCommand.Close());
        return _shutdown.Task;
    }

    public async Task DrainAndShutdownAsync(Task streamCompletion)
    {
        Stop();
        try
        {
            await streamCompletion.ConfigureAwait(false);
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Commits offsets on the poll thread; completes when committed (or dropped as stale).</summary>
    public Task CommitAsync(IReadOnlyList<CommittableOffset> offsets)
    {
        var command = new ConsumerCommand.Commit(offsets);
        if (_shutdown.Task.IsCompleted)
            command.Done.SetException(new InvalidOperationException("Kafka consumer is shut down; offsets not committed"));
        else
            Enqueue(command);
        return command.Done.Task;
    }

    private void Enqueue(ConsumerCommand command)
    {
        _commands.Enqueue(command);
        _commandArrived.Release();
    }

    private void Run()
    {
        try
        {
            _consumer = BuildConsumer();
            _consumer.Subscribe(_settings.Topics);
            while (!_closing)
            {
                RunCommands();
                if (_closing) break;
                if (_stopRequested && !_stopped) StopEmitting();
                ConsumeBurst();
                AdjustPauses();
            }
            CloseConsumer();
            _shutdown.TrySetResult();
        }
        catch (Exception e)
        {
            _log.Error(e, "Kafka consumer {0} failed", _settings.GroupId);
            _routing.Failed(e);
            _consumer?.Dispose();
            FailPendingCommits(e);
            _shutdown.TrySetException(e);
        }
    }

    private IConsumer<byte[], byte[]> BuildConsumer() =>
        new ConsumerBuilder<byte[], byte[]>(_settings.ToConsumerConfig())
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions))
            .SetErrorHandler((_, error) =>
            {
                // Non-fatal errors (a broker down, a connection reset) are retried by librdkafka itself.
                if (error.IsFatal) throw new KafkaException(error);
                _log.Warning("Kafka consumer {0}: {1}", _settings.GroupId, error.Reason);
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Warning) _log.Warning("librdkafka {0}: {1}", m.Facility, m.Message);
            })
            .Build();

    private void ConsumeBurst()
    {
        var anyPaused = _leases.Values.Any(l => l.Paused) && !_stopped;
        var result = _consumer!.Consume(anyPaused ? PausedPoll : IdlePoll);
        if (result is null) return;
        var count = 0;
        do
        {
            Route(result);
            count++;
        } while (count < _settings.PollBurst && (result = _consumer.Consume(TimeSpan.Zero)) is not null);
        Metrics.AddConsumed(count);
        foreach (var lease in _leases.Values) lease.Queue.Signal();
    }

    private void Route(ConsumeResult<byte[], byte[]> result)
    {
        if (_stopped) return; // nothing is emitted any more; the next owner reads it from the committed offset
        var lease = _lastLease;
        if (lease is null || lease.Partition.Partition.Value != result.Partition.Value || lease.Partition.Topic != result.Topic)
        {
            if (!_leases.TryGetValue(result.TopicPartition, out lease)) return;
            _lastLease = lease;
        }
        var record = new KafkaRecord(result.Topic, result.Partition.Value, result.Offset.Value,
            result.Message.Key, result.Message.Value, result.Message.Timestamp.UtcDateTime);
        var offset = new CommittableOffset(_settings.GroupId, result.Topic, result.Partition.Value, result.Offset.Value) { Lease = lease };
        lease.Queue.Enqueue(new CommittableMessage(record, offset));
        var buffered = lease.AddBuffered();
        Metrics.ObserveBuffered(buffered);
        // Pausing also discards what librdkafka prefetched for the partition (a version barrier), and it refetches from
        // the next unconsumed offset on resume: so the bound holds without rewinding anything ourselves.
        if (buffered >= _settings.MaxBufferedPerPartition) Pause(lease);
    }

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

    private void CloseConsumer()
    {
        try
        {
            // Close runs the revocation (which waits for in-flight offsets) and leaves the group.
            _consumer!.Close();
        }
        finally
        {
            _consumer!.Dispose();
            FailPendingCommits(new InvalidOperationException("Kafka consumer closed before these offsets were committed"));
        }
    }
}
