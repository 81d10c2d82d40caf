using Akka.Event;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Error = Confluent.Kafka.Error;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Sends a user stream's campaign-event forwards (ad events re-keyed by campaign) through a producer of their own,
/// with a linger of its own (<see cref="DecisionPipelineSettings.ForwardLinger"/>). Off the decisions' envelope, the user
/// stream's decisions do not wait for forwards; the commit does, and so do the campaign stream's bid adjustments, whose
/// latency is why the linger is short (docs/performance.md, rounds 12 and 14). Bounded on its own: a partition's writer
/// waits (<see cref="RoomAsync"/>) while <c>maxOutstanding</c> forwards wait for Kafka, so an outage of the campaign
/// topic's leader holds the stream instead of filling librdkafka's queue (the commit stage alone holds thousands of
/// batches): past the queue's limit a produce failed with <c>Local_QueueFull</c>, the stream restarted, replayed and
/// filled it again, in a loop. Thread-safe: one per stream, shared by its partitions; a partition's forwards keep their
/// order (one idempotent producer), and none lands after one that Kafka refused for good (librdkafka's gapless guarantee,
/// and every forward after the first refusal fails at once): the campaign state counts a clickstream partition's forwards
/// by a high-water mark of their origins, so a later forward that landed made the refused one's replay a duplicate, lost
/// (review, 2026-12-06).
/// </summary>
internal sealed class CampaignForwarder : IDisposable
{
    /// <summary>Forwards that may wait for Kafka before the stream's writers wait for room.</summary>
    public const int DefaultMaxOutstanding = 50_000;

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly int _maxOutstanding;
    private readonly Lock _gate = new();
    private readonly Action<Error> _reported;
    private readonly Action<Pending> _ended;
    private int _outstanding;
    private TaskCompletionSource? _room;
    private bool _closed;
    // The first forward Kafka refused for good (or the producer's fatal error): no forward is sent after it.
    private Error? _failed;
    // Batches not yet acknowledged, oldest first (under _gate): how long the oldest has waited is the node's to watch.
    private readonly LinkedList<long> _unacknowledged = new();
    private readonly IDisposable? _watched;

    public CampaignForwarder(KafkaProducerSettings settings, TimeSpan linger, ILoggingAdapter log, int maxOutstanding = DefaultMaxOutstanding)
    {
        _maxOutstanding = maxOutstanding;
        (_reported, _ended) = (Reported, Ended);
        // Forwards never time out, whatever the operator set for the node's other producers: the campaign state counts a
        // clickstream partition's forwards by a high-water mark of their origins, so a forward that timed out while a later
        // one of the same campaign got through would be taken for a duplicate when the replay sends it again, and lost.
        // Waiting instead holds the commit (and, past maxOutstanding, the stream) until the broker is back.
        var client = settings.ClientConfig?.Where(p => p.Key is not ("message.timeout.ms" or "delivery.timeout.ms")).ToDictionary();
        var config = (settings with { LingerMs = linger.TotalMilliseconds, ClientConfig = client }).ToProducerConfig();
        config.MessageTimeoutMs = 0;
        // A batch Kafka refuses for good (an ACL being changed, a record over the topic's size limit) is a fatal error then,
        // and librdkafka fails what it holds after it instead of sending it past the gap.
        config.EnableGaplessGuarantee = true;
        // What waits past maxOutstanding is at most one batch per partition (each writer checks for room before it
        // decides), never more than librdkafka's largest queue: a produce is never refused for a full queue.
        config.QueueBufferingMaxMessages = 10_000_000;
        config.QueueBufferingMaxKbytes = int.MaxValue;
        _producer = new ProducerBuilder<byte[], byte[]>(config)
            // librdkafka's lines in the node's log, not on stderr; less its note that the gapless guarantee is "experimental",
            // printed at every run's start (it is what this producer relies on, and is documented above).
            .SetLogHandler((_, m) =>
            {
                if (m.Facility == "CONFWARN" && m.Message.Contains("gapless", StringComparison.Ordinal)) return;
                if (m.Level <= SyslogLevel.Warning) log.Warning("Kafka producer (campaign-event forwards): {0} {1}", m.Facility, m.Message);
            })
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal) Interlocked.CompareExchange(ref _failed, e, null);
                log.Warning("Kafka producer (campaign-event forwards): {0}", e.Reason);
            })
            .Build();
        _watched = settings.Watch?.Watch(OldestUnacknowledged);
    }

    private long? OldestUnacknowledged()
    {
        lock (_gate) return _unacknowledged.First?.Value;
    }

    /// <summary>Completes once fewer than <c>maxOutstanding</c> forwards wait for Kafka (at once, nearly always).</summary>
    public Task RoomAsync()
    {
        lock (_gate)
        {
            if (_closed) return Task.FromException(Closed());
            if (Volatile.Read(ref _failed) is { } failed) return Task.FromException(new KafkaException(failed));
            return _outstanding < _maxOutstanding ? Task.CompletedTask
                : (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Completes once Kafka acknowledged every record; fails on the first that it did not (the stream then restarts from its last commit).</summary>
    public Task SendAsync(IReadOnlyList<ProducerRecord> records)
    {
        if (records.Count == 0) return Task.CompletedTask;
        if (Volatile.Read(ref _failed) is { } failed) return Task.FromException(new KafkaException(failed));
        var pending = new Pending(records.Count, _reported, _ended);
        lock (_gate)
        {
            if (_closed) return Task.FromException(Closed());
            _outstanding += records.Count;
            pending.Waiting = _unacknowledged.AddLast(System.Diagnostics.Stopwatch.GetTimestamp());
        }
        for (var i = 0; i < records.Count; i++)
        {
            try
            {
                _producer.Produce(records[i].Topic, records[i].ToMessage(), pending.OnReport);
            }
            catch (Exception e)
            {
                // Refused before it was sent (a record over message.max.bytes, a fatal error raised meanwhile): a gap librdkafka
                // does not know of, so the forwarder keeps it (no later forward is sent), and the rest of the batch waits for nothing.
                Interlocked.CompareExchange(ref _failed, (e as KafkaException)?.Error ?? new Error(ErrorCode.Local_Fail, e.Message), null);
                Release(records.Count - i);
                pending.Refuse(e);
                return pending.Task;
            }
        }
        return pending.Task;
    }

    /// <summary>A batch acknowledged, or failed: it waits for Kafka no more.</summary>
    private void Ended(Pending pending)
    {
        lock (_gate)
        {
            if (pending.Waiting is { List: not null } waiting) _unacknowledged.Remove(waiting);
        }
    }

    /// <summary>A forward's delivery report (librdkafka's thread), delivered or failed: one fewer waits; the first refusal is kept.</summary>
    private void Reported(Error error)
    {
        if (error.IsError) Interlocked.CompareExchange(ref _failed, error, null);
        Release(1);
    }

    /// <summary><paramref name="forwards"/> wait for Kafka no more (reported, or never sent): room for the writers.</summary>
    private void Release(int forwards)
    {
        TaskCompletionSource? room = null;
        lock (_gate)
        {
            _outstanding -= forwards;
            if (_outstanding < _maxOutstanding) (room, _room) = (_room, null);
        }
        room?.TrySetResult();
    }

    /// <summary>
    /// Ends with its stream. A writer still waiting for room fails at once: a disposed producer reports no more deliveries,
    /// so that room never came, the writer's flushes never ended, and the partition's next writer on this node waited for
    /// them for good (its fence): after a long outage of the campaign topic's leader, the node stopped reading those
    /// partitions without a word. The writer fails, its fence is released, and the next run replays from the last commit.
    /// Disposing waits for librdkafka's threads: not on a stream thread.
    /// </summary>
    public void Dispose()
    {
        TaskCompletionSource? room;
        lock (_gate) (_closed, room, _room) = (true, _room, null);
        _watched?.Dispose();
        room?.TrySetException(Closed());
        _ = Task.Run(() =>
        {
            _producer.Flush(TimeSpan.FromSeconds(10));
            _producer.Dispose();
        });
    }

    private static ObjectDisposedException Closed() => new(nameof(CampaignForwarder), "the stream's campaign-event forwarder has closed with its stream");

    /// <summary>One batch's forwards: a countdown completed by librdkafka's delivery reports (on its own thread).</summary>
    private sealed class Pending(int count, Action<Error> reported, Action<Pending> ended)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = count;

        public Task Task => _done.Task;
        /// <summary>Its place among the forwarder's unacknowledged batches (set under its lock before anything is sent).</summary>
        public LinkedListNode<long>? Waiting { get; set; }

        private int _ended;

        public void OnReport(DeliveryReport<byte[], byte[]> report)
        {
            reported(report.Error);
            if (report.Error.IsError) Refuse(new KafkaException(report.Error));
            else if (Interlocked.Decrement(ref _remaining) == 0 && End()) _done.TrySetResult();
        }

        /// <summary>Fails the batch (its first refusal only).</summary>
        public void Refuse(Exception error)
        {
            if (End()) _done.TrySetException(error);
        }

        /// <summary>Off the forwarder's watch before its task completes: whoever awaits it finds it waiting no more.</summary>
        private bool End()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 1) return false;
            ended(this);
            return true;
        }
    }
}
