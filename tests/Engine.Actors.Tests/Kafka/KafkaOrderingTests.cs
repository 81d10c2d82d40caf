using System.Collections.Concurrent;
using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaOrderingTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private readonly KafkaFixture kafka;
    private readonly ITestOutputHelper output;

    public KafkaOrderingTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        this.kafka = kafka;
        this.output = output;
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Committable_source_keeps_per_key_order()
    {
        var topic = KafkaFixture.UniqueTopic("order");
        await kafka.CreateTopicAsync(topic, 4);
        const int count = 5_000;
        await KafkaTestData.ProduceAsync(kafka, topic, 0, count);

        var seen = new ConcurrentQueue<KafkaRecord>();
        var (control, done) = KafkaSource.CommittableSource(KafkaTestData.Consumer(kafka, topic, "order-" + topic))
            .Select(m => { seen.Enqueue(m.Record); return m.Offset; })
            .Take(count)
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(Sys.Materializer());
        await done.WaitAsync(Timeout);
        await control.ShutdownAsync().WaitAsync(Timeout);

        AssertPerKeyOrder(seen.ToList(), count);
        output.WriteLine($"{kafka.Describe()}; injected {count} messages over 50 keys, 4 partitions; consumed {seen.Count}; {control.Metrics}");
    }

    [Fact]
    public async Task Partitioned_source_keeps_per_key_order_in_each_sub_source()
    {
        var topic = KafkaFixture.UniqueTopic("order-partitioned");
        await kafka.CreateTopicAsync(topic, 4);
        const int count = 5_000;
        await KafkaTestData.ProduceAsync(kafka, topic, 0, count);

        var seen = new ConcurrentQueue<KafkaRecord>();
        var subSources = 0;
        var (control, done) = KafkaSource.CommittablePartitionedSource(KafkaTestData.Consumer(kafka, topic, "order-" + topic))
            .Select(p => { Interlocked.Increment(ref subSources); return p.Messages; })
            .Via(Flow.Create<Source<CommittableMessage, Akka.NotUsed>>()
                .MergeMany(8, messages => messages.Select(m => { seen.Enqueue(m.Record); return m.Offset; })))
            .Take(count)
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(Sys.Materializer());
        await done.WaitAsync(Timeout);
        await control.ShutdownAsync().WaitAsync(Timeout);

        AssertPerKeyOrder(seen.ToList(), count);
        Assert.Equal(4, subSources);
        output.WriteLine($"{kafka.Describe()}; injected {count}; sub-sources {subSources}; consumed {seen.Count}; {control.Metrics}");
    }

    [Fact]
    public async Task A_client_setting_asking_for_end_of_partition_results_does_not_fail_the_source()
    {
        // Before 2026-12-06 Kafka__Client__enable.partition.eof=true reached the stream's consumer: at each partition's end
        // Consume returned a result without a message, the poll thread read it as a record and the stream failed.
        var topic = KafkaFixture.UniqueTopic("order-eof");
        await kafka.CreateTopicAsync(topic, 2);
        const int count = 100;
        await KafkaTestData.ProduceAsync(kafka, topic, 0, count);
        var settings = KafkaTestData.Consumer(kafka, topic, "eof-" + topic);
        settings = settings with { ClientConfig = new Dictionary<string, string>(settings.ClientConfig!) { ["enable.partition.eof"] = "true" } };

        var seen = 0;
        var (control, done) = KafkaSource.CommittableSource(settings)
            .Select(m => { Interlocked.Increment(ref seen); return m.Offset; })
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(Sys.Materializer());
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref seen) == count), Timeout);
        await Task.Delay(TimeSpan.FromSeconds(2)); // at the partitions' ends, past where the poll thread failed
        Assert.False(done.IsCompleted, done.Exception?.GetBaseException().ToString() ?? "the source completed");
        await control.ShutdownAsync().WaitAsync(Timeout);
        output.WriteLine($"{kafka.Describe()}; injected {count} messages, enable.partition.eof=true; consumed {seen}; {control.Metrics}");
    }

    private static void AssertPerKeyOrder(List<KafkaRecord> records, int count)
    {
        Assert.Equal(count, records.Count);
        Assert.Equal(count, records.Select(KafkaTestData.Id).Distinct().Count());
        foreach (var key in records.GroupBy(KafkaTestData.KeyOf))
        {
            var sequences = key.Select(KafkaTestData.Sequence).ToList();
            Assert.Equal(Enumerable.Range(0, sequences.Count), sequences);
        }
    }
}
