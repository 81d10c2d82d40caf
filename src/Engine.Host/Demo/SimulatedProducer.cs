using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Simulation;

namespace Engine.Host.Demo;

/// <summary>
/// Feeds the simulator's clickstream into Kafka, keyed by user id with Kafka's murmur2 partitioner (so the
/// engine can compute any user's partition), optionally at a fixed rate, with a share of deliberately broken
/// records to show the dead-letter path. Given <paramref name="consumed"/>, it stays at most
/// <see cref="MaxAhead"/> events ahead of the engine: the embedded mock broker keeps only ~5 MB per partition, and a
/// producer far ahead would have the oldest unread records deleted under the consumer.
/// </summary>
/// <param name="client">librdkafka properties (SASL, SSL) for a secured Kafka.</param>
public sealed class SimulatedProducer(string bootstrapServers, string topic, DemoOptions options, Func<long>? consumed = null,
    IReadOnlyDictionary<string, string>? client = null)
{
    public const int MaxAhead = 10_000;

    private long _produced, _failed, _delivered;

    /// <summary>How long a stopped run waits for what it handed over to be delivered, rather than drop it.</summary>
    private static readonly TimeSpan StopFlush = TimeSpan.FromSeconds(5);
    private Error? _firstError;

    /// <summary>Events handed to the producer.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Events Kafka did not acknowledge (known once <see cref="RunAsync"/> has completed), and the first reason.</summary>
    public long Failed => Interlocked.Read(ref _failed);
    public Error? FirstError => Volatile.Read(ref _firstError);

    /// <summary>Events Kafka acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Cancels the run, unless it has ended: the node usually stops after the run, and its source is disposed by then.</summary>
    private static void CancelUnlessDone(CancellationTokenSource stop)
    {
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended first.
        }
    }

    /// <param name="until">Ends the run too when it completes (the engine node's <c>Completion</c>: a node that stopped reads
    /// nothing more, and the run would wait for it).</param>
    public async Task RunAsync(CancellationToken cancellation, Task? until = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        _ = until?.ContinueWith(_ => CancelUnlessDone(stop), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        var cancellationToken = stop.Token;
        var config = new ProducerConfig(client?.ToDictionary() ?? [])
        {
            BootstrapServers = bootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
            LingerMs = 5,
            EnableIdempotence = true,
        };
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        Action<DeliveryReport<byte[], byte[]>> delivered = report =>
        {
            if (!report.Error.IsError)
            {
                Interlocked.Increment(ref _delivered);
                return;
            }
            Interlocked.CompareExchange(ref _firstError, report.Error, null);
            Interlocked.Increment(ref _failed);
        };
        var random = new Random(options.Seed);
        var clock = Stopwatch.StartNew();
        var simulator = new ClickstreamSimulator(new SimulatorOptions { Seed = options.Seed, Users = options.Users, Campaigns = options.Campaigns });
        try
        {
            foreach (var evt in simulator)
            {
                // After a refusal: Kafka acknowledges in order per partition, and a producer that failed to deliver one (a topic it
                // may not write, a broker away past message.timeout.ms) would fail the rest too (before 2026-12-07 it went on).
                if (_produced >= options.Events || cancellationToken.IsCancellationRequested || Failed > 0) break;
                var value = random.NextDouble() < options.MalformedShare ? Broken(evt, random) : ClickEventCodec.Encode(evt);
                Produce(producer, Encoding.UTF8.GetBytes(evt.UserId), value, delivered, cancellationToken);
                var produced = Interlocked.Increment(ref _produced);
                if (consumed is not null && produced % 100 == 0)
                    while (produced - consumed() > MaxAhead && !cancellationToken.IsCancellationRequested && Failed == 0) // refused: never read
                        await Task.Delay(5, cancellationToken);
                if (options.Rate > 0 && produced % 100 == 0)
                {
                    var ahead = TimeSpan.FromSeconds((double)produced / options.Rate) - clock.Elapsed;
                    if (ahead > TimeSpan.Zero) await Task.Delay(ahead, cancellationToken);
                }
            }
            producer.Flush(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            producer.Flush(StopFlush); // what was handed over goes out, rather than be dropped with the producer
            throw;
        }
    }

    private void Produce(IProducer<byte[], byte[]> producer, byte[] key, byte[] value, Action<DeliveryReport<byte[], byte[]>> delivered,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value }, delivered);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is full: let deliveries drain. A stop is heard here too: with the brokers away nothing drains
                // until message.timeout.ms (5 min by default), and before 2026-12-08 Ctrl-C waited for it (review).
                cancellationToken.ThrowIfCancellationRequested();
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
            catch (ProduceException<byte[], byte[]> e)
            {
                delivered(new DeliveryReport<byte[], byte[]> { Error = e.Error }); // refused at once (a topic it may not write): failed as a delivery
                return;
            }
        }
    }

    private static byte[] Broken(ClickEvent evt, Random random) => random.Next(3) switch
    {
        0 => Encoding.UTF8.GetBytes("{\"event_id\":\"" + evt.EventId + "\", truncated"),
        1 => ClickEventCodec.Encode(evt with { SchemaVersion = 99 }),
        _ => ClickEventCodec.Encode(evt with { UserId = "" }),
    };
}
