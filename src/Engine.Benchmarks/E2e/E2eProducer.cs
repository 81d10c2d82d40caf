using System.Diagnostics;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// Produces slices of <see cref="E2eEvents"/> into the clickstream, keyed by user (murmur2, as the engine expects), either
/// at a fixed rate (<see cref="PoissonArrivals"/>) or as fast as the consumer keeps up: the embedded mock broker keeps only about 5 MB per partition,
/// so at full speed production waits while more than <c>maxLag</c> events are unconsumed. Kafka stamps each record
/// with its produce time, where the engine's event-to-decision latency starts.
/// </summary>
internal sealed class E2eProducer(string bootstrap, E2eEvents events) : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
    {
        BootstrapServers = bootstrap,
        Partitioner = Partitioner.Murmur2Random,
        LingerMs = 1,
        // Nothing reads them (Produce without a handler): a report object per record would only add to the process's bytes.
        EnableDeliveryReports = false,
    }).Build();

    public long Produced { get; private set; }

    /// <param name="rate">Events per second; 0 for full speed, bounded by <paramref name="consumed"/> and <paramref name="maxLag"/>.</param>
    public async Task ProduceAsync(int from, int count, int rate, Func<long> consumed, long maxLag, CancellationToken cancellationToken)
    {
        var arrivals = rate > 0 ? new PoissonArrivals(count, rate, seed: from) : null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var (key, value) = events[from + i];
            Produce(key, value);
            Produced++;
            if (arrivals is not null)
            {
                // Sleep whenever the next arrival is more than the timer's 1 ms ahead.
                var ahead = arrivals.Next() - clock.Elapsed;
                if (ahead > TimeSpan.FromMilliseconds(1)) await Task.Delay(ahead, cancellationToken);
            }
            else if (i % 50 == 49)
            {
                while (Produced - consumed() > maxLag) await Task.Delay(5, cancellationToken);
            }
        }
        _producer.Flush(cancellationToken);
    }

    private void Produce(byte[] key, byte[] value)
    {
        while (true)
        {
            try
            {
                _producer.Produce(Topics.Clickstream, new Message<byte[], byte[]> { Key = key, Value = value, Headers = ProducerRecord.NoHeaders });
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }

    public void Dispose() => _producer.Dispose();
}
