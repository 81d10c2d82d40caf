using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;
using Engine.Models.Privacy;
using static Engine.Actors.Privacy.PrivacyProtocol;

namespace Engine.Actors.Privacy;

/// <param name="FeaturesTopic">The topic of the user's events (the clickstream).</param>
/// <param name="CommitWait">How long an erasure waits for the user pipeline to commit the user's partition up to the request before it is retried.</param>
/// <param name="FeaturesGroupId">The consumer group of the user pipeline: its commits must pass the user's last events.</param>
/// <param name="DeadLetterTopic">Where a request that cannot be acted on goes, with the reason (<see cref="DeadLetters"/>).</param>
/// <param name="DeadLetterPatience">How long Kafka may refuse such a request's dead letter for good (an ACL, a bad topic name)
/// before the request is skipped with an error in the log (default 5 minutes; errors that pass are retried for as long as they last).</param>
/// <param name="MaxLetterBytes">The most bytes of a dead letter the control's producer sends (<see cref="DeadLetters.LetterLimit"/>).</param>
public sealed record PrivacyControlSettings(KafkaConsumerSettings Consumer, string AcksTopic, string FeaturesTopic, TimeSpan AskTimeout,
    TimeSpan CommitWait, string FeaturesGroupId, string DeadLetterTopic = Topics.DeadLetters, TimeSpan? DeadLetterPatience = null,
    int MaxLetterBytes = DeadLetters.MaxLetterBytes)
{
    public TimeSpan EffectiveDeadLetterPatience => DeadLetterPatience ?? TimeSpan.FromMinutes(5);
}

/// <summary>
/// Consumes <see cref="Topics.Privacy"/> (each node in one group, so each request is carried out once) and carries out each
/// request through the user's actor, in turn with that user's events; then acknowledges it on the acks topic and only then
/// commits its offset (at-least-once: a request redone after a crash erases or records the same thing again). An erasure
/// notes the end of the user's clickstream partition, erases, waits until the user pipeline has committed that partition
/// up to that end (every event of the user sent before the request is then applied and written behind, and no restart
/// replays it), and erases once more through the actor: what a write behind in flight or a replay rebuilt is gone too.
/// Requests of different users run side by side (<see cref="PrivacyRequestWindow"/>).
/// The consumer runs on its own thread: it blocks, and nothing here is on the decision path.
/// </summary>
public sealed class PrivacyControl : IAsyncDisposable
{
    private readonly PrivacyControlSettings _settings;
    private readonly IActorRef _users;
    private readonly PrivacyStore _privacy;
    private readonly IProducer<byte[], byte[]> _producer;
    // Metadata, end offsets and the pipeline's commits are asked on a client of the control's own: an admin client on the
    // producer's handle died with it when a fatal error had the node's producer replaced (RenewingProducer), and every
    // erasure and consent after that was retried for ever (before 2026-12-07, review).
    private readonly IAdminClient _admin;
    private readonly PrivacyRouting _routing;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    // Erasures run side by side; the tail consumer serves one at a time, and a waiter waits without holding a thread.
    private readonly SemaphoreSlim _tailGate = new(1, 1);
    // Not in any group: reads what lies between the pipeline's commit and an erasure's end (NothingToReadBetween). The
    // group consumer stays on the loop's thread: requests never touch it.
    private IConsumer<Ignore, Ignore>? _tail;

    public PrivacyControl(PrivacyControlSettings settings, IActorRef users, PrivacyStore privacy,
        IProducer<byte[], byte[]> producer, ILoggingAdapter log)
    {
        (_settings, _users, _privacy, _producer, _log) = (settings, users, privacy, producer, log);
        // Configured as the campaign feed's admin client is: the consumers' bootstrap and client properties (security).
        _admin = new AdminClientBuilder(new AdminClientConfig(settings.Consumer.ClientConfig?.ToDictionary() ?? [])
            { BootstrapServers = settings.Consumer.BootstrapServers }).Build();
        _routing = new PrivacyRouting(_admin);
        _loop = Task.Factory.StartNew(Run, TaskCreationOptions.LongRunning);
    }

    /// <summary>Requests carried out and acknowledged since start.</summary>
    public int Acknowledged => Volatile.Read(ref _acknowledged);
    private int _acknowledged;

    /// <summary>Requests that could not be acted on, sent to the dead-letter topic since start.</summary>
    public int DeadLettered => Volatile.Read(ref _deadLettered);
    private int _deadLettered;

    /// <summary>Refused requests skipped since start: Kafka refused their dead letter for good (the log names their offsets).</summary>
    public int Skipped => Volatile.Read(ref _skipped);
    private int _skipped;

    /// <summary>Requests read and not yet carried out (running, retried, or queued behind the same user's), as of the consumer's last turn.</summary>
    public int Waiting => Volatile.Read(ref _waiting);
    private int _waiting;

    /// <summary>
    /// How long the oldest of <see cref="Waiting"/> has waited since it was sent (its record's timestamp, so a rebalance that
    /// hands it to another reader does not reset it; zero when none): an erasure held up by a lagging user pipeline or a user
    /// whose events never pause shows here long before anyone asks why no acknowledgement came.
    /// </summary>
    public TimeSpan OldestWaiting => Volatile.Read(ref _oldestSentTicks) is var ticks and > 0
        ? TimeSpan.FromTicks(Math.Max(0, (DateTime.UtcNow - new DateTime(ticks, DateTimeKind.Utc)).Ticks))
        : TimeSpan.Zero;
    private long _oldestSentTicks;

    // Refused requests whose dead letter Kafka refuses for good, and since when: kept across re-reads of the request (a
    // rebalance, a new consumer), or the patience would start over each time and never run out.
    private readonly ConcurrentDictionary<TopicPartitionOffset, DateTime> _refusedSince = new();

    /// <summary>
    /// Each erasure's end of its user's partition, noted at its first try and kept for its retries: before, each retry noted the
    /// end again, so while the user pipeline stayed more than <see cref="PrivacyControlSettings.CommitWait"/> behind a partition
    /// still written to, the erasure never finished.
    /// </summary>
    private readonly ConcurrentDictionary<TopicPartitionOffset, long> _erasureEnds = new();

    /// <summary>
    /// Consumes until stopped. A Kafka error from the consumer (the member dropped after a long outage) ends only the current
    /// consumer: a new one joins again and the uncommitted requests are carried out again (the same erasure or consent,
    /// at-least-once). Before, the first such error stopped the node's privacy requests for good.
    /// </summary>
    private void Run()
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                Consume();
                return;
            }
            catch (KafkaException e) when (!e.Error.IsFatal)
            {
                _log.Warning("Privacy control's consumer failed ({0}); joining again in {1}", e.Error.Reason, backoff);
                _stop.Token.WaitHandle.WaitOne(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (KafkaException e)
            {
                _log.Error(e, "Privacy control stopped: {0}", e.Error.Reason);
                return;
            }
        }
    }

    private void Consume()
    {
        var window = new PrivacyRequestWindow();
        var ended = new ConcurrentQueue<(TopicPartitionOffset Position, string User, Task Task, bool Done)>();
        var owned = new Dictionary<TopicPartition, CancellationTokenSource>(); // cancelled when the partition leaves this node
        var uncommitted = new Dictionary<TopicPartition, TopicPartitionOffset>(); // done, but a commit failed: tried again
        var running = new Dictionary<Task, (Task Reported, DateTime SentUtc)>(); // each request's task -> the continuation that reports its end
        void Release(IEnumerable<TopicPartition> partitions)
        {
            foreach (var partition in partitions)
            {
                if (!owned.Remove(partition, out var cancel)) continue;
                cancel.Cancel();
                cancel.Dispose();
            }
            foreach (var partition in partitions) uncommitted.Remove(partition);
            window.Forget(partitions);
        }
        using var consumer = new ConsumerBuilder<byte[], byte[]>(_settings.Consumer.ToConsumerConfig())
            .SetPartitionsRevokedHandler((c, revoked) =>
            {
                // Hand back what is done (the new owner starts past it); what is not is redone there.
                DrainEnded(ended, window, running);
                TryCommit(c, window, uncommitted);
                Release(revoked.Select(r => r.TopicPartition).ToList());
            })
            .SetPartitionsLostHandler((_, lost) => Release(lost.Select(l => l.TopicPartition).ToList()))
            .Build();
        consumer.Subscribe(_settings.Consumer.Topics);
        var paused = false;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                DrainEnded(ended, window, running);
                TryCommit(consumer, window, uncommitted);
                Volatile.Write(ref _waiting, running.Count);
                Volatile.Write(ref _oldestSentTicks, running.Count == 0 ? 0 : running.Values.Min(r => r.SentUtc).Ticks);
                if (window.Full || paused)
                {
                    // Pause again each time while full: a rebalance hands over partitions unpaused.
                    paused = window.Full;
                    if (paused) consumer.Pause(consumer.Assignment);
                    else consumer.Resume(consumer.Assignment);
                }
                var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (record?.Message is null) continue;
                if (!owned.TryGetValue(record.TopicPartition, out var partitionStop))
                    owned[record.TopicPartition] = partitionStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var position = record.TopicPartitionOffset;
                // One user's requests run in the order this node reads them (keyed by user id, they are all in one partition, in
                // offset order); refused ones run on their own.
                var (request, error) = PrivacyRequest.Decode(record.Message.Value); // once: each attempt acts on it
                var user = request?.UserId ?? "offset:" + position;
                var stop = partitionStop.Token;
                // On the pool: a request's first steps block (the clickstream's end offsets), and the loop must keep polling.
                var task = window.Start(position, user, () => Task.Run(() => CarryOutAsync(record, request, error, stop)));
                running[task] = (task.ContinueWith(t => ended.Enqueue((position, user, t, t is { IsCompletedSuccessfully: true, Result: true })),
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default),
                    KafkaArrival.Of(record.Message.Timestamp.UtcDateTime, DateTime.UtcNow)); // a record without a timestamp, or from a clock ahead: now
            }
        }
        finally
        {
            // Stopping or failed: whatever is not done is redone by the next reader. The requests end (they see the cancellation)
            // before the consumer closes: its revocation commits past what is done, never past what was given up.
            foreach (var cancel in owned.Values) cancel.Cancel();
            if (!Task.WhenAll(running.Values.Select(r => r.Reported)).Wait(TimeSpan.FromSeconds(10)))
                _log.Warning("Privacy requests still running 10 s after the consumer stopped; closing it anyway (they are not committed)");
            try
            {
                consumer.Close();
            }
            catch (KafkaException)
            {
                // leaving a group it was already dropped from: nothing left to hand back
            }
        }
    }

    private static void DrainEnded(ConcurrentQueue<(TopicPartitionOffset Position, string User, Task Task, bool Done)> ended,
        PrivacyRequestWindow window, Dictionary<Task, (Task Reported, DateTime SentUtc)> running)
    {
        while (ended.TryDequeue(out var end))
        {
            window.Ended(end.Position, end.User, end.Task, end.Done);
            running.Remove(end.Task);
        }
    }

    /// <summary>
    /// Commits past the requests that are done. A refused commit (a rebalance in progress) is tried again on the next turn;
    /// before, it ended the consumer, and every request not yet committed was carried out again.
    /// </summary>
    private void TryCommit(IConsumer<byte[], byte[]> consumer, PrivacyRequestWindow window, Dictionary<TopicPartition, TopicPartitionOffset> uncommitted)
    {
        foreach (var offset in window.TakeCommittable()) uncommitted[offset.TopicPartition] = offset;
        if (uncommitted.Count == 0) return;
        try
        {
            consumer.Commit([.. uncommitted.Values]);
            uncommitted.Clear();
        }
        catch (KafkaException e) when (!e.Error.IsFatal)
        {
            _log.Warning("Privacy requests carried out but their commit failed ({0}); committing again", e.Error.Reason);
        }
    }

    /// <summary>Retries until done (false only when stopping or the partition left this node): a privacy request is never skipped for a passing failure.</summary>
    /// <param name="request">The record decoded, or null when it cannot be acted on (<paramref name="error"/> says why).</param>
    private async Task<bool> CarryOutAsync(ConsumeResult<byte[], byte[]> record, PrivacyRequest? request, string? error, CancellationToken stop)
    {
        try
        {
            return await RetryUntilDoneAsync(record, request, error, stop);
        }
        finally
        {
            _erasureEnds.TryRemove(record.TopicPartitionOffset, out _); // done, or given up: a later reading notes its own
        }
    }

    private async Task<bool> RetryUntilDoneAsync(ConsumeResult<byte[], byte[]> record, PrivacyRequest? request, string? error, CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // Checked here, on the pool, not on the consumer's thread: it may wait for Kafka's metadata.
                if (request is not null && _routing.Misrouted(record, request.UserId) is { } misrouted) (request, error) = (null, misrouted);
                await HandleAsync(record, request, error, stop);
                _refusedSince.TryRemove(record.TopicPartitionOffset, out _);
                return true;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e)
            {
                // Only refusals Kafka will not cure (an ACL, a bad topic name) run down a dead letter's patience.
                if (e is ProduceException<byte[], byte[]> { Error.Code: var code } && RefusedForGood(code)) _refusedSince.TryAdd(record.TopicPartitionOffset, DateTime.UtcNow);
                else _refusedSince.TryRemove(record.TopicPartitionOffset, out _);
                // Never the record's key or the exception's message in a log: both may name the user.
                _log.Warning("Privacy request at {0} not carried out yet ({1}); retrying in {2}",
                    record.TopicPartitionOffset, e.GetType().Name, backoff);
                try
                {
                    await Task.Delay(backoff, stop);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
        return false;
    }

    /// <summary>Errors a retry does not cure (a queue that is full, a broker away, are retried for as long as they last).</summary>
    private static bool RefusedForGood(ErrorCode code) => code is ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed
        or ErrorCode.TopicException or ErrorCode.Local_UnknownTopic or ErrorCode.Local_InvalidArg or ErrorCode.MsgSizeTooLarge
        or ErrorCode.InvalidRecord;

    private async Task HandleAsync(ConsumeResult<byte[], byte[]> record, PrivacyRequest? request, string? error, CancellationToken stop)
    {
        if (request is null && _refusedSince.TryGetValue(record.TopicPartitionOffset, out var refusedSince)
                            && DateTime.UtcNow - refusedSince >= _settings.EffectiveDeadLetterPatience)
        {
            // Retried for ever, it would hold its partition's commit, and every request after it would be redone at each restart.
            _log.Error("Privacy request at {0} refused ({1}) and Kafka refused its dead letter for {2}; skipped (it stays at its offset)",
                record.TopicPartitionOffset, error!.Split(':')[0], _settings.EffectiveDeadLetterPatience);
            Interlocked.Increment(ref _skipped);
            return;
        }
        if (request is null)
        {
            await DeadLetterAsync(record, error!, stop);
            return;
        }
        var ack = request.Type == PrivacyRequestTypes.Erase ? await EraseAsync(record.TopicPartitionOffset, request, stop) : await RecordConsentAsync(request, stop);
        await _producer.ProduceAsync(_settings.AcksTopic, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(request.UserId),
            Value = JsonSerializer.SerializeToUtf8Bytes(ack, EngineJson.Default.PrivacyAck),
        }, stop);
        Interlocked.Increment(ref _acknowledged);
        _log.Info("Privacy request {0} ({1}) carried out and acknowledged", request.RequestId, request.Type);
    }

    /// <summary>
    /// A request that cannot be acted on goes to the dead-letter topic with the reason before its offset is committed, so
    /// whoever sent it can find out why it was never acknowledged (before 2026-12-06 it was only logged and committed).
    /// It is not acknowledged on the acks topic: a reader there takes every ack for a request carried out.
    /// </summary>
    private async Task DeadLetterAsync(ConsumeResult<byte[], byte[]> record, string reason, CancellationToken stop)
    {
        var source = new KafkaRecord(record.Topic, record.Partition.Value, record.Offset.Value, record.Message.Key, record.Message.Value,
            record.Message.Timestamp.UtcDateTime);
        var letter = DeadLetters.Record(source, "privacy request refused: " + reason, _settings.DeadLetterTopic, DateTimeOffset.UtcNow, _settings.MaxLetterBytes);
        await _producer.ProduceAsync(letter.Topic, new Message<byte[], byte[]> { Key = letter.Key!, Value = letter.Value! }, stop);
        // The reason's detail may quote the request (a parser's message does): the log gets its kind only, the letter all of it.
        Interlocked.Increment(ref _deadLettered);
        _log.Warning("Privacy request at {0} refused and dead-lettered ({1})", record.TopicPartitionOffset, reason.Split(':')[0]);
    }

    private async Task<PrivacyAck> EraseAsync(TopicPartitionOffset position, PrivacyRequest request, CancellationToken stop)
    {
        var partition = new TopicPartition(_settings.FeaturesTopic, _privacy.PartitionOf(request.UserId));
        // Every event of the user produced before this request lies below the partition's end at its first try.
        if (!_erasureEnds.TryGetValue(position, out var end)) _erasureEnds[position] = end = await EndOffsetAsync(partition);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        async Task<UserErased> PassAsync()
        {
            var erased = Expect<UserErased>(await _users.Ask<object>(new EraseUser(request.UserId, request.RequestId), _settings.AskTimeout, stop));
            removed.UnionWith(erased.Removed);
            return erased;
        }
        // Past the partition's end when the actor had already answered an event the user sent after the request: its flush,
        // built from the state before the erasure, must land before the next pass deletes again (before 2026-12-06 the
        // first pass's answer was not looked at, and such a flush could land after the acknowledgement).
        var first = await PassAsync();
        var next = Math.Max(end, first.LastAnswered is { } answeredFirst ? answeredFirst.Offset + 1 : 0);
        if (next > 0) await WaitCommittedAsync(partition, next, stop);
        // Passes until the user's actor had answered nothing since the pass before. Each pass deletes the keys at once, but the
        // flush of an event the actor answered before it (one sent after the request, while the user kept browsing) could land
        // after the delete, with features built from what the actor held before: so the next pass waits until those are
        // committed (a batch is committed only once its flush landed) and deletes again (a fresh actor each time: a pass
        // passivates the one it erased). Before, the second pass deleted once and such a flush brought the data back.
        for (var pass = 2; ; pass++)
        {
            var erased = await PassAsync();
            if (erased.LastAnswered is not { } answered) break;
            if (pass >= MaxErasePasses) throw new TimeoutException($"the user's events kept coming through {MaxErasePasses} erasure passes");
            await WaitCommittedAsync(partition, answered.Offset + 1, stop);
        }
        removed.UnionWith(await _privacy.EraseAsync(request.UserId)); // the consent too, now that no earlier event can come
        return new PrivacyAck
        {
            Type = request.Type, RequestId = request.RequestId, UserId = request.UserId, Removed = [.. removed], CompletedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>
    /// Whether the pipeline has nothing left to read on <paramref name="partition"/> from <paramref name="from"/> up to
    /// <paramref name="end"/>: reading from there (as it does, transactions committed only), the first record, or the end
    /// of what can be read, is at or past <paramref name="end"/>. Reading committed transactions only, that end is the last
    /// stable offset: below an open transaction (an exactly-once producer upstream), which may hold the user's earlier
    /// events. Taken for nothing to read whatever its offset (before 2026-12-06), it let the erasure be acknowledged, and the
    /// transaction's events, applied once it committed, brought the user's data back.
    /// </summary>
    private async Task<bool> NothingToReadBetweenAsync(TopicPartition partition, long from, long end, CancellationToken stop)
    {
        await _tailGate.WaitAsync(stop);
        try
        {
            stop.ThrowIfCancellationRequested();
            _tail ??= new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(_settings.Consumer.ToConsumerConfig())
            {
                GroupId = _settings.FeaturesGroupId + "-privacy-tail", // required by the client; never joined (assign) and never committed
                EnableAutoCommit = false, EnablePartitionEof = true, IsolationLevel = IsolationLevel.ReadCommitted,
            }).Build();
            _tail.Assign(new TopicPartitionOffset(partition, from));
            try
            {
                return FirstReadIsPast(_tail.Consume(TimeSpan.FromSeconds(2)), end);
            }
            finally
            {
                _tail.Unassign();
            }
        }
        finally
        {
            _tailGate.Release();
        }
    }

    /// <summary>Where the user pipeline reads a partition from: its commit, or without one the log's start (auto.offset.reset earliest).</summary>
    internal static long PipelineReadsFrom(long committed) => committed >= 0 ? committed : Offset.Beginning.Value;

    /// <summary>
    /// Whether what a read-committed consumer got first (a record, or the end of what it can read: a broker's last stable
    /// offset) is at or past <paramref name="end"/>. An end short of it is an open transaction, not nothing to read.
    /// </summary>
    internal static bool FirstReadIsPast(ConsumeResult<Ignore, Ignore>? first, long end) => first is not null && first.Offset.Value >= end;

    /// <summary>The partition's end (its high watermark): one past the last record written to it.</summary>
    private async Task<long> EndOffsetAsync(TopicPartition partition)
    {
        var listed = await _admin.ListOffsetsAsync([new TopicPartitionOffsetSpec { TopicPartition = partition, OffsetSpec = OffsetSpec.Latest() }],
            new ListOffsetsOptions { RequestTimeout = TimeSpan.FromSeconds(10) });
        return listed.ResultInfos[0].TopicPartitionOffsetError.Offset.Value;
    }

    /// <summary>Passes through the user's actor before an erasure gives up for now (it is retried): a user whose events never pause.</summary>
    private const int MaxErasePasses = 20;

    private async Task<PrivacyAck> RecordConsentAsync(PrivacyRequest request, CancellationToken stop)
    {
        var consent = new Consent(request.Personalisation ?? true, request.AdTargeting ?? true);
        Expect<ConsentRecorded>(await _users.Ask<object>(new RecordConsent(request.UserId, request.RequestId, consent), _settings.AskTimeout, stop));
        return new PrivacyAck
        {
            Type = request.Type, RequestId = request.RequestId, UserId = request.UserId,
            Personalisation = consent.Personalisation, AdTargeting = consent.AdTargeting, CompletedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>
    /// Until the user pipeline has committed <paramref name="partition"/> up to <paramref name="next"/>: a batch is committed
    /// only after its writes behind and its churn due-list entries are acknowledged.
    /// </summary>
    private async Task WaitCommittedAsync(TopicPartition partition, long next, CancellationToken stop)
    {
        var deadline = DateTime.UtcNow + _settings.CommitWait;
        // The commit last looked past, and when: a record read there stays until the commit moves, but the end of what can be
        // read moves without it (an open transaction committed or aborted), so it is looked at again after a second.
        var (looked, lookedAt) = (Offset.Unset.Value, DateTime.MinValue);
        while (true)
        {
            var groups = await _admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(_settings.FeaturesGroupId, [partition])]);
            var committed = groups[0].Partitions[0].Offset.Value;
            if (committed >= next) return; // a committed offset is the next record to read
            // The pipeline commits one past the last record it read: below a transaction's commit marker, or aborted records,
            // that is short of the end for good (before 2026-12-06 such an erasure waited and was retried for ever). Without a
            // commit it reads from the log's start (auto.offset.reset earliest), and a partition with nothing there to read
            // (aborted records only, a new group id, records gone with retention) is never committed: looked at from there
            // too (before 2026-12-07 only a commit was looked past, and such an erasure was retried for ever).
            if (committed != looked || DateTime.UtcNow - lookedAt > TimeSpan.FromSeconds(1))
            {
                if (await NothingToReadBetweenAsync(partition, PipelineReadsFrom(committed), next, stop)) return;
                (looked, lookedAt) = (committed, DateTime.UtcNow);
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the user pipeline has not yet committed up to the erasure request");
            await Task.Delay(100, stop);
        }
    }

    private static T Expect<T>(object reply) => reply switch
    {
        T done => done,
        PrivacyFailed failed => throw new InvalidOperationException("the user's actor could not carry it out: " + failed.Reason),
        _ => throw new InvalidOperationException("unexpected reply " + reply.GetType().Name),
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            _log.Warning("Privacy control's consumer did not stop within 30 s; releasing its clients anyway");
        }
        // Requests have ended (the loop waits for them), or are past waiting for: the tail is released whoever holds it.
        if (await _tailGate.WaitAsync(TimeSpan.FromSeconds(5))) _tail?.Dispose();
        _admin.Dispose();
        _stop.Dispose();
    }
}
