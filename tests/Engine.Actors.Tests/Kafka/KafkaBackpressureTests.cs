using System.Collections.Concurrent;
using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaBackpressureTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly KafkaFixture _kafka;
    private readonly ITestOutputHelper _output;

    public KafkaBackpressureTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        _kafka = kafka;
        _output = output;
    }

    [Fact]
    public async Task Slow_downstream_pauses_partitions_and_keeps_the_buffer_bounded()
    {
        var topic = KafkaFixture.UniqueTopic("backpressure");
        const int partitions = 2, count = 6_000, bound = 200;
        await _kafka.CreateTopicAsync(topic, partitions);
        await KafkaTestData.ProduceAsync(_kafka, topic, 0, count);

        var seen = new ConcurrentQueue<KafkaRecord>();
        var settings = KafkaTestData.Consumer(_kafka, topic, "backpressure-" + topic, maxBuffered: bound) with { PollBurst = 100 };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (control, done) = KafkaSource.CommittableSource(settings)
            // The slow consumer: 4,000 messages a second, while the broker could hand out far more.
            .Throttle(400, TimeSpan.FromMilliseconds(100), 400, ThrottleMode.Shaping)
            .Select(m => { seen.Enqueue(m.Record); return m.Offset; })
            .Take(count)
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(Sys.Materializer());
        await done.WaitAsync(Timeout);
        var elapsed = watch.Elapsed;
        await control.ShutdownAsync().WaitAsync(Timeout);

        var metrics = control.Metrics;
        Assert.Equal(count, seen.Select(KafkaTestData.Id).Distinct().Count());
        Assert.InRange(metrics.MaxBufferedPerPartition, 1, bound);
        Assert.True(metrics.Pauses > 0 && metrics.Resumes > 0, metrics.ToString());
        foreach (var partition in seen.GroupBy(r => r.Partition))
            Assert.Equal(partition.Select(r => r.Offset).Order(), partition.Select(r => r.Offset));
        _output.WriteLine($"{_kafka.Describe()}; injected {count} on {partitions} partitions; bound {bound}/partition; " +
            $"consumed {seen.Count} through a 4k msg/s throttle in {elapsed.TotalSeconds:F1} s (a tiny bound starves it: librdkafka " +
            $"refetches a resumed partition ~0.5 s later); {metrics}");
    }
}
