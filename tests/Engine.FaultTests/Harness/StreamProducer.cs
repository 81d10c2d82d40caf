using System.Text;
using Confluent.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.FaultTests.Harness;

/// <summary>One record to send: its key and bytes, and the event it carries when it is valid (null for poison).</summary>
/// <param name="Poison">For a bad record: the kind of refusal expected, the dead letter's reason up to its colon (e.g. <c>malformed</c>).</param>
public sealed record OutgoingRecord(string Key, byte[] Value, ClickEvent? Event, string? Poison = null);

/// <summary>
/// Produces the input stream while the engine consumes it: the embedded broker keeps only ~5 MB per partition, so it
/// waits whenever the engine lags more than <c>maxLag</c> records behind. Idempotent (a retried send is not
/// written twice), and each delivery report gives the record's final position: <see cref="Delivered"/> is the
/// event log the references are computed from.
/// </summary>
public sealed class StreamProducer : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _topic;
    private readonly List<(ClickEvent Event, EventPosition Position)> _delivered = [];
    private readonly List<(EventPosition Position, string Kind)> _poisonDelivered = [];
    private readonly Lock _lock = new();
    private long _acknowledged, _failed;

    public StreamProducer(string bootstrap, string topic)
    {
        _topic = topic;
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5, Partitioner = Partitioner.Murmur2Random,
            // Keep retrying through a broker outage: the test decides when it has waited too long.
            MessageTimeoutMs = 120_000,
        }).Build();
    }

    public long Sent { get; private set; }
    public long Acknowledged => Interlocked.Read(ref _acknowledged);
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The valid events as delivered, in acknowledgement order (per partition: offset order).</summary>
    public IReadOnlyList<(ClickEvent Event, EventPosition Position)> Delivered
    {
        get { lock (_lock) return _delivered.ToList(); }
    }

    /// <summary>The bad records as delivered: where each landed and the refusal expected for it.</summary>
    public IReadOnlyList<(EventPosition Position, string Kind)> PoisonDelivered
    {
        get { lock (_lock) return _poisonDelivered.ToList(); }
    }

    public async Task ProduceAsync(IEnumerable<OutgoingRecord> records, Func<long> consumed, long maxLag, CancellationToken cancellationToken)
    {
        foreach (var record in records)
        {
            while (Sent - consumed() > maxLag) await Task.Delay(20, cancellationToken);
            var (evt, poison) = (record.Event, record.Poison);
            _producer.Produce(_topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(record.Key), Value = record.Value }, report =>
            {
                if (report.Error.IsError)
                {
                    Interlocked.Increment(ref _failed);
                    return;
                }
                Interlocked.Increment(ref _acknowledged);
                var position = new EventPosition(report.Partition.Value, report.Offset.Value);
                lock (_lock)
                {
                    if (evt is not null) _delivered.Add((evt, position));
                    else if (poison is not null) _poisonDelivered.Add((position, poison));
                }
            });
            Sent++;
        }
        await Task.Run(() => _producer.Flush(TimeSpan.FromSeconds(120)), cancellationToken);
        if (Failed > 0) throw new InvalidOperationException($"{Failed} of {Sent} input records could not be produced");
    }

    public static IEnumerable<OutgoingRecord> Valid(FaultEvents events, long from, long count)
    {
        for (var n = from; n < from + count; n++)
        {
            var e = events.Event(n);
            yield return new OutgoingRecord(e.UserId, ClickEventCodec.Encode(e), e);
        }
    }

    public void Dispose() => _producer.Dispose();
}
