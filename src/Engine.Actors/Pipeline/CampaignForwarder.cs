using Akka.Event;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Error = Confluent.Kafka.Error;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Sends a user stream's campaign-event forwards (ad events re-keyed by campaign) through a producer of their own,
/// with a linger of its own (<see cref="DecisionPipelineSettings.ForwardLinger"/>). Off the decisions' envelope, the user
/// stream's decisions do not wait for forwards; the commit does, and so do the campaign stream's bid adjustments, whose
/// latency is why the linger is short (docs/performance.md, rounds 12 and 14). Bounded by the stream: past its in-flight
/// limit the decisions' producer stops pulling, and forwards are a fraction of the events. Thread-safe: one per stream, shared by its partitions; a partition's
/// forwards keep their order (one idempotent producer).
/// </summary>
internal sealed class CampaignForwarder : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private Error? _fatal;

    public CampaignForwarder(KafkaProducerSettings settings, TimeSpan linger, ILoggingAdapter log)
    {
        // Forwards never time out, whatever the operator set for the node's other producers: the campaign state counts a
        // clickstream partition's forwards by a high-water mark of their origins, so a forward that timed out while a later
        // one of the same campaign got through would be taken for a duplicate when the replay sends it again, and lost.
        // Waiting instead holds the commit (and, through the stream's in-flight bound, the partition) until the broker is back.
        var client = settings.ClientConfig?.Where(p => p.Key is not ("message.timeout.ms" or "delivery.timeout.ms")).ToDictionary();
        var config = (settings with { LingerMs = linger.TotalMilliseconds, ClientConfig = client }).ToProducerConfig();
        config.MessageTimeoutMs = 0;
        _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal) Interlocked.CompareExchange(ref _fatal, e, null);
                log.Warning("Kafka producer (campaign-event forwards): {0}", e.Reason);
            })
            .Build();
    }

    /// <summary>Completes once Kafka acknowledged every record; fails on the first that it did not (the stream then restarts from its last commit).</summary>
    public Task SendAsync(IReadOnlyList<ProducerRecord> records)
    {
        if (records.Count == 0) return Task.CompletedTask;
        if (Volatile.Read(ref _fatal) is { } fatal) return Task.FromException(new KafkaException(fatal));
        var pending = new Pending(records.Count);
        foreach (var record in records)
            _producer.Produce(record.Topic, record.ToMessage(), pending.OnReport);
        return pending.Task;
    }

    /// <summary>Disposing waits for librdkafka's threads: not on a stream thread.</summary>
    public void Dispose() => _ = Task.Run(() =>
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    });

    /// <summary>One batch's forwards: a countdown completed by librdkafka's delivery reports (on its own thread).</summary>
    private sealed class Pending(int count)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining = count;

        public Task Task => _done.Task;

        public void OnReport(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError) _done.TrySetException(new KafkaException(report.Error));
            else if (Interlocked.Decrement(ref _remaining) == 0) _done.TrySetResult();
        }
    }
}
