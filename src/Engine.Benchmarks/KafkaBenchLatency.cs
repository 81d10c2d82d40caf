using System.Diagnostics;
using Confluent.Kafka;
using Engine.Benchmarks.E2e;

namespace Engine.Benchmarks;

/// <summary>
/// Producer-to-consumer latency of the broker alone at a fixed rate, with plain Confluent clients and nothing else
/// running: the floor under the engine's event-to-decision latency, measured as <c>bench e2e</c> measures its Kafka hop
/// (Poisson arrivals on a thread that sleeps precisely until each, every message stamped with its scheduled arrival, a
/// topic of the e2e's four partitions and of its own: the mock walks a partition's log on every fetch, so a topic
/// reused run after run measures a growing log). The embedded mock broker holds a fetch that finds no data for the full
/// <c>fetch.wait.max.ms</c> (a real broker answers when data arrives), so it is measured at 10 ms and at the 2 ms the
/// embedded runs use, with the producer lingering 1 ms (the e2e's input producer and the engine's decisions) and 0.
/// </summary>
internal sealed class KafkaBenchLatency(string bootstrap, Func<string> newTopic)
{
    public sealed record Result(int FetchWaitMs, double LingerMs, int Rate, int Messages, double P50Ms, double P99Ms, double P999Ms);

    public Result Run(int fetchWaitMs, double lingerMs, int rate, TimeSpan duration)
    {
        var topic = newTopic();
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap, LingerMs = lingerMs, EnableIdempotence = true, Acks = Acks.All,
        }).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = "latency-" + topic, AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false, FetchWaitMaxMs = fetchWaitMs,
        }).Build();
        consumer.Subscribe(topic);
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new List<double>(total);
        var consuming = new Thread(() =>
        {
            // The payload is the Stopwatch timestamp of the message's scheduled arrival.
            while (latencies.Count < total && consumer.Consume(TimeSpan.FromSeconds(10)) is { } record)
                latencies.Add(Stopwatch.GetElapsedTime(BitConverter.ToInt64(record.Message.Value)).TotalMilliseconds);
        });
        consuming.Start();
        // Let the consumer join and fetch before the clock starts (the mock rebalances at once: initial delay 0).
        WaitAssigned(consumer);
        var producing = new Thread(() =>
        {
            var arrivals = new PoissonArrivals(total, rate, seed: 7);
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(arrivals.Next().TotalSeconds * Stopwatch.Frequency);
                PreciseSleep.Until(due);
                producer.Produce(topic, new Message<byte[], byte[]> { Key = BitConverter.GetBytes(i), Value = BitConverter.GetBytes(due) });
            }
        });
        producing.Start();
        producing.Join();
        producer.Flush();
        consuming.Join();
        latencies.Sort();
        double At(double percentile) => latencies.Count == 0 ? double.NaN
            : Math.Round(latencies[(int)Math.Min(latencies.Count - 1, percentile / 100 * latencies.Count)], 2);
        return new Result(fetchWaitMs, lingerMs, rate, latencies.Count, At(50), At(99), At(99.9));
    }

    private static void WaitAssigned(IConsumer<byte[], byte[]> consumer)
    {
        for (var wait = Stopwatch.StartNew(); consumer.Assignment.Count == 0 && wait.Elapsed < TimeSpan.FromSeconds(30);) Thread.Sleep(10);
        Thread.Sleep(500);
    }
}
