using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Engine.Actors.Kafka;

namespace Engine.Benchmarks;

/// <summary>One run: messages per second (wall clock) and process CPU per message (steadier on a shared machine).</summary>
internal sealed record Measured(double MsgsPerSec, double CpuMicrosPerMsg);

/// <summary>The four measured runs of the kafka suite: our stages and a plain Confluent loop, each way, same settings.</summary>
internal sealed class KafkaBenchRuns(string bootstrap, IMaterializer materializer, int count, byte[] payload, byte[][] keys)
{
    // A throughput bench: both sides linger 5 ms for full batches (the engine's decisions producer lingers 1 ms, for latency).
    private KafkaProducerSettings ProducerSettings => new(bootstrap, LingerMs: 5);

    public ProducerConfig ProducerConfig => ProducerSettings.ToProducerConfig();

    /// <summary>Timed from creating the producer to the last acknowledgement, as the stage is (it creates its own).</summary>
    public Measured ProducePlain(string topic)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var watch = Stopwatch.StartNew();
        using var producer = new ProducerBuilder<byte[], byte[]>(ProducerConfig).Build();
        var failures = 0;
        Action<DeliveryReport<byte[], byte[]>> onReport = r => { if (r.Error.IsError) Interlocked.Increment(ref failures); };
        for (var i = 0; i < count; i++)
        {
            var message = new Message<byte[], byte[]> { Key = keys[i % keys.Length], Value = payload };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, onReport);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    Thread.Sleep(1); // librdkafka's local queue is full: let deliveries drain
                }
            }
        }
        producer.Flush(TimeSpan.FromMinutes(2));
        watch.Stop();
        if (failures > 0) throw new InvalidOperationException($"plain producer: {failures} deliveries failed");
        return Result(watch.Elapsed, cpu);
    }

    public async Task<Measured> ProduceStageAsync(string topic)
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var watch = Stopwatch.StartNew();
        await Source.From(Enumerable.Range(0, count))
            .Select(i => (IProducerEnvelope<int>)new ProducerMessage<int>(topic, keys[i % keys.Length], payload, i))
            .Via(KafkaProducer.Flow<int>(ProducerSettings))
            .RunWith(Sink.Ignore<ProducerResult<int>>(), materializer);
        watch.Stop();
        return Result(watch.Elapsed, cpu);
    }

    /// <summary>Timed from the first message to the last, so joining the group is not counted (the same for both).</summary>
    public Measured ConsumePlain(string topic)
    {
        TimeSpan cpu = default;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new KafkaConsumerSettings(bootstrap, "plain-" + topic, [topic]).ToConsumerConfig()).Build();
        consumer.Subscribe(topic);
        Stopwatch? watch = null;
        var received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (received < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is null) continue;
            if (watch is null)
            {
                watch = Stopwatch.StartNew();
                cpu = Environment.CpuUsage.TotalTime;
            }
            received++;
        }
        var elapsed = watch?.Elapsed ?? TimeSpan.Zero;
        var result = Result(elapsed, cpu);
        consumer.Close();
        if (received < count) throw new InvalidOperationException($"plain consumer: got {received} of {count}");
        return result;
    }

    public async Task<Measured> ConsumeStageAsync(string topic)
    {
        Stopwatch? watch = null;
        TimeSpan cpu = default;
        var (control, done) = KafkaSource.CommittableSource(new KafkaConsumerSettings(bootstrap, "stage-" + topic, [topic], DrainTimeout: TimeSpan.Zero))
            .Select(m =>
            {
                if (watch is null)
                {
                    watch = Stopwatch.StartNew();
                    cpu = Environment.CpuUsage.TotalTime;
                }
                return m;
            })
            .Take(count)
            .ToMaterialized(Sink.Ignore<CommittableMessage>(), Keep.Both)
            .Run(materializer);
        await done.WaitAsync(TimeSpan.FromMinutes(2));
        var result = Result(watch!.Elapsed, cpu);
        await control.ShutdownAsync();
        return result;
    }

    private Measured Result(TimeSpan elapsed, TimeSpan cpuAtStart) =>
        new(count / elapsed.TotalSeconds, (Environment.CpuUsage.TotalTime - cpuAtStart).TotalMicroseconds / count);
}
