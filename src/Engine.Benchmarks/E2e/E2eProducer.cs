using System.Diagnostics;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;
using HdrHistogram;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// Produces slices of <see cref="E2eEvents"/> into the clickstream, keyed by user (murmur2, as the engine expects), either
/// at a fixed rate (<see cref="PoissonArrivals"/>) or as fast as the consumer keeps up: the embedded mock broker keeps
/// only about 5 MB per partition, so at full speed production waits while more than <c>maxLag</c> events are unconsumed.
/// Each record's Kafka timestamp, where the engine's event-to-decision latency starts, is its produce time at full speed
/// and its scheduled arrival at a fixed rate.
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

    /// <summary>
    /// Of the last fixed-rate phase, in microseconds: how late each event was produced after its scheduled arrival (the
    /// thread's wake-up, and the pauses of this process, which hosts the engine too).
    /// </summary>
    public LongHistogram Lateness { get; } = new(1, TimeStamp.Hours(1), 3);

    /// <param name="rate">Events per second; 0 for full speed, bounded by <paramref name="consumed"/> and <paramref name="maxLag"/>.</param>
    public Task ProduceAsync(int from, int count, int rate, Func<long> consumed, long maxLag, CancellationToken cancellationToken) =>
        rate > 0
            ? Task.Factory.StartNew(() => ProducePaced(from, count, rate, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : ProduceFullSpeedAsync(from, count, consumed, maxLag, cancellationToken);

    private async Task ProduceFullSpeedAsync(int from, int count, Func<long> consumed, long maxLag, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            var (key, value) = events[from + i];
            Produce(key, value, Timestamp.Default);
            if (i % 50 == 49)
                while (Produced - consumed() > maxLag) await Task.Delay(5, cancellationToken);
        }
        _producer.Flush(cancellationToken);
    }

    /// <summary>On a thread of its own, which sleeps until each arrival (<see cref="PreciseSleep"/>).</summary>
    private void ProducePaced(int from, int count, int rate, CancellationToken cancellationToken)
    {
        var arrivals = new PoissonArrivals(count, rate, seed: from);
        Lateness.Reset();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (key, value) = events[from + i];
            var due = arrivals.Next();
            var dueTimestamp = start + (long)(due.TotalSeconds * Stopwatch.Frequency);
            // Less than 0.1 ms ahead: produced at once (a sleep's own cost), its stamp still the scheduled arrival.
            while (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueTimestamp) > TimeSpan.FromMilliseconds(0.1)) PreciseSleep.Until(dueTimestamp);
            // Stamped with its scheduled arrival, not the moment this (managed, co-hosted) producer got to it: an event
            // due while the engine's GC had every thread of this process stopped still counts the pause in its latency,
            // as it would for a producer elsewhere (no coordinated omission).
            var late = Stopwatch.GetElapsedTime(dueTimestamp);
            Produce(key, value, ScheduledArrival(DateTime.UtcNow, late));
            Lateness.RecordValue(Math.Max(1, (long)late.TotalMicroseconds));
        }
        _producer.Flush(cancellationToken);
    }

    /// <summary>
    /// The scheduled arrival on the wall clock the engine stamps its hops with: now, less how late (by the monotonic
    /// clock) the event is. Not the phase's start plus the schedule: this machine's wall clock is corrected in bursts
    /// (measured slewing 5 ms per second against the monotonic clock for a while), which over a 10 s phase put up to 50
    /// ms into the last events' latency. Rounded to the nearest millisecond, the resolution of a Kafka timestamp (the
    /// default truncation would add 0-1 ms to every latency).
    /// </summary>
    private static Timestamp ScheduledArrival(DateTime nowUtc, TimeSpan late)
    {
        var ticks = (nowUtc - late - DateTime.UnixEpoch).Ticks;
        return new Timestamp((ticks + TimeSpan.TicksPerMillisecond / 2) / TimeSpan.TicksPerMillisecond, TimestampType.CreateTime);
    }

    private void Produce(byte[] key, byte[] value, Timestamp timestamp)
    {
        while (true)
        {
            try
            {
                _producer.Produce(Topics.Clickstream, new Message<byte[], byte[]> { Key = key, Value = value, Headers = ProducerRecord.NoHeaders, Timestamp = timestamp });
                Produced++;
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
