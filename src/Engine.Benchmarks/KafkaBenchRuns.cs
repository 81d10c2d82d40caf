using System.Diagnostics;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Engine.Actors.Kafka;

namespace Engine.Benchmarks;

/// <summary>The four measured runs of the kafka suite: our stages and a plain Confluent loop, each way, same settings.</summary>
internal sealed class KafkaBenchRuns(string bootstrap, IMaterializer materializer, int count, byte[] payload, byte[][] keys)
{
    public ProducerConfig ProducerConfig => new KafkaProducerSettings(bootstrap).ToProducerConfig();

    public double ProducePlain(string topic)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(ProducerConfig).Build();
        var failures = 0;
        Action<DeliveryReport<byte[], byte[]>> onReport = r => { if (r.Error.IsError) Interlocked.Increment(ref failures); };
        var watch = Stopwatch.StartNew();
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
        return count / watch.Elapsed.TotalSeconds;
    }

    public async Task<double> ProduceStageAsync(string topic)
    {
        var watch = Stopwatch.StartNew();
        await Source.From(Enumerable.Range(0, count))
            .Select(i => (IProducerEnvelope<int>)new ProducerMessage<int>(topic, keys[i % keys.Length], payload, i))
            .Via(KafkaProducer.Flow<int>(new KafkaProducerSettings(bootstrap)))
            .RunWith(Sink.Ignore<ProducerResult<int>>(), materializer);
        watch.Stop();
        return count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Timed from the first message to the last, so joining the group is not counted (the same for both).</summary>
    public double ConsumePlain(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new KafkaConsumerSettings(bootstrap, "plain-" + topic, [topic]).ToConsumerConfig()).Build();
        consumer.Subscribe(topic);
        Stopwatch? watch = null;
        var received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (received < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is null) continue;
            watch ??= Stopwatch.StartNew();
            received++;
        }
        consumer.Close();
        if (received < count) throw new InvalidOperationException($"plain consumer: got {received} of {count}");
        return count / watch!.Elapsed.TotalSeconds;
    }

    public async Task<double> ConsumeStageAsync(string topic)
    {
        Stopwatch? watch = null;
        var (control, done) = KafkaSource.CommittableSource(new KafkaConsumerSettings(bootstrap, "stage-" + topic, [topic], DrainTimeout: TimeSpan.Zero))
            .Select(m => { watch ??= Stopwatch.StartNew(); return m; })
            .Take(count)
            .ToMaterialized(Sink.Ignore<CommittableMessage>(), Keep.Both)
            .Run(materializer);
        await done.WaitAsync(TimeSpan.FromMinutes(2));
        var elapsed = watch!.Elapsed;
        await control.ShutdownAsync();
        return count / elapsed.TotalSeconds;
    }
}
