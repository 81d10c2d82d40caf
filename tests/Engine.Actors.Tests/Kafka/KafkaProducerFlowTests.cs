using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaProducerFlowTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private KafkaFixture _kafka;
    private readonly ITestOutputHelper _output;

    public KafkaProducerFlowTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        _kafka = kafka;
        _output = output;
    }

    [Fact]
    public async Task Behind_an_unacknowledged_record_the_flow_pulls_no_more_than_its_envelope_bound()
    {
        _kafka = await _kafka.ForFaultsAsync(); // broker faults: on the embedded cluster, whatever the other tests run on
        var topic = KafkaFixture.UniqueTopic("produce-bound");
        await _kafka.CreateTopicAsync(topic, 1);
        const int bound = 100, offered = 10_000;
        var pulled = 0;
        // One record, then envelopes without records (events that caused no decision): they wait behind it, in order.
        var envelopes = Enumerable.Range(0, offered).Select(i => i == 0
            ? (IProducerEnvelope<int>)new ProducerMessage<int>(topic, null, [1], i)
            : MultiMessage<int>.PassThroughOnly(i));
        foreach (var broker in _kafka.BrokerIds) _kafka.SetBrokerDown(broker);
        try
        {
            var watch = new DeliveryWatch();
            var settings = new KafkaProducerSettings(_kafka.BootstrapServers, MaxInFlightEnvelopes: bound) { Watch = watch };
            var passed = Source.From(envelopes)
                .Select(e => { Interlocked.Increment(ref pulled); return e; })
                .Via(KafkaProducer.Flow<int>(settings))
                .RunWith(Sink.Seq<ProducerResult<int>>(), Sys.Materializer());
            await Task.Delay(TimeSpan.FromSeconds(2));
            var pulledWhileDown = Volatile.Read(ref pulled);
            // What /readyz and /metrics read: the record waits as long as the brokers are away (a stuck producer was invisible before).
            var waitedWhileDown = TimeSpan.Zero;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); waitedWhileDown < TimeSpan.FromSeconds(1.5) && DateTime.UtcNow < deadline; await Task.Delay(100))
                waitedWhileDown = watch.OldestWaiting();
            foreach (var broker in _kafka.BrokerIds) _kafka.SetBrokerUp(broker);
            var results = await passed.WaitAsync(Timeout);
            Assert.InRange(waitedWhileDown, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(30));
            Assert.Equal(TimeSpan.Zero, watch.OldestWaiting());
            _output.WriteLine($"{offered:N0} envelopes offered (1 record, then none); brokers down: {pulledWhileDown} pulled (bound {bound}); " +
                              $"after: {results.Count:N0} passed in order");
            Assert.InRange(pulledWhileDown, 1, bound + 2); // the bound, plus what the stages before hold
            Assert.Equal(Enumerable.Range(0, offered), results.Select(r => r.PassThrough));
        }
        finally
        {
            foreach (var broker in _kafka.BrokerIds) _kafka.SetBrokerUp(broker);
        }
    }

    /// <summary>
    /// An envelope larger than librdkafka's queue (here 4 MB; 1 GiB by default, which a burst of ~700 KB dead letters of
    /// oversized records fills) waits for deliveries to make room and passes whole: before 2026-12-07 the queue-full refusal
    /// failed the stage, and the run restarted into the same backlog (review).
    /// </summary>
    [Fact]
    public async Task An_envelope_larger_than_librdkafkas_queue_waits_for_room_and_passes_whole()
    {
        var topic = KafkaFixture.UniqueTopic("produce-queue-full");
        await _kafka.CreateTopicAsync(topic, 1);
        var records = Enumerable.Range(0, 12).Select(i => new ProducerRecord(topic, [(byte)i], new byte[900_000])).ToList();
        var settings = new KafkaProducerSettings(_kafka.BootstrapServers, new Dictionary<string, string> { ["queue.buffering.max.kbytes"] = "4096" });

        var results = await Source.From(new IProducerEnvelope<int>[] { new MultiMessage<int>(records, 1), new ProducerMessage<int>(topic, null, [1], 2) })
            .Via(KafkaProducer.Flow<int>(settings))
            .RunWith(Sink.Seq<ProducerResult<int>>(), Sys.Materializer())
            .WaitAsync(Timeout);

        Assert.Equal([1, 2], results.Select(r => r.PassThrough));
        Assert.Equal(12, results[0].Deliveries.Count(d => d is not null));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), results[0].Deliveries.Select(d => d!.Offset)); // in order
    }

    [Fact]
    public async Task Results_come_in_input_order_with_their_pass_through_and_empty_envelopes_still_pass()
    {
        var (first, second) = (KafkaFixture.UniqueTopic("produce-a"), KafkaFixture.UniqueTopic("produce-b"));
        await _kafka.CreateTopicAsync(first, 3);
        await _kafka.CreateTopicAsync(second, 3);
        const int envelopes = 3_000;

        // Per input: none, one, or two records (an event may cause no decision, one, or several).
        IProducerEnvelope<int> Envelope(int i) => (i % 3) switch
        {
            0 => MultiMessage<int>.PassThroughOnly(i),
            1 => new ProducerMessage<int>(first, KafkaTestData.Key(i % 7), KafkaTestData.Value(i, 0), i),
            _ => new MultiMessage<int>([new(first, KafkaTestData.Key(i % 7), KafkaTestData.Value(i, 0)), new(second, null, KafkaTestData.Value(i, 1))], i),
        };
        var results = await Source.From(Enumerable.Range(0, envelopes)).Select(Envelope)
            .Via(KafkaProducer.Flow<int>(new KafkaProducerSettings(_kafka.BootstrapServers, Parallelism: 500)))
            .RunWith(Sink.Seq<ProducerResult<int>>(), Sys.Materializer())
            .WaitAsync(Timeout);

        Assert.Equal(Enumerable.Range(0, envelopes), results.Select(r => r.PassThrough));
        Assert.All(results, r => Assert.Equal(Envelope(r.PassThrough).Count, r.Deliveries.Count));
        Assert.All(results.Where(r => r.PassThrough % 3 == 2), r => Assert.Equal([first, second], r.Deliveries.Select(d => d.Topic)));
        // Acknowledged offsets grow in emission order within each partition: results are not reordered.
        foreach (var partition in results.SelectMany(r => r.Deliveries).GroupBy(d => (d.Topic, d.Partition)))
            Assert.Equal(partition.Select(d => d.Offset).Order(), partition.Select(d => d.Offset));
        var written = WrittenCount(first, 3) + WrittenCount(second, 3);
        Assert.Equal(results.Sum(r => r.Deliveries.Count), written);
        _output.WriteLine($"{_kafka.Describe()}; sent {envelopes} envelopes ({envelopes / 3} empty); " +
            $"results {results.Count} in order; records acknowledged {results.Sum(r => r.Deliveries.Count)}, found on the topics {written}");
    }

    [Fact]
    public async Task Flow_with_context_passes_the_context_of_an_input_that_produced_nothing()
    {
        var topic = KafkaFixture.UniqueTopic("produce-ctx");
        await _kafka.CreateTopicAsync(topic, 1);
        var inputs = new (IReadOnlyList<ProducerRecord> Records, string Context)[]
        {
            ([], "offset-0"),
            ([new ProducerRecord(topic, null, [1])], "offset-1"),
            ([], "offset-2"),
        };
        var outputs = await Source.From(inputs)
            .Via(KafkaProducer.FlowWithContext<string>(new KafkaProducerSettings(_kafka.BootstrapServers)).AsFlow())
            .RunWith(Sink.Seq<(IReadOnlyList<Delivered>, string)>(), Sys.Materializer())
            .WaitAsync(Timeout);

        Assert.Equal(["offset-0", "offset-1", "offset-2"], outputs.Select(o => o.Item2));
        Assert.Equal([0, 1, 0], outputs.Select(o => o.Item1.Count));
        _output.WriteLine($"{_kafka.Describe()}; contexts out: {string.Join(", ", outputs.Select(o => $"{o.Item2} ({o.Item1.Count} records)"))}");
    }

    [Fact]
    public async Task Context_pipeline_commits_every_input_once_its_outputs_are_written()
    {
        var (input, output) = (KafkaFixture.UniqueTopic("ctx-in"), KafkaFixture.UniqueTopic("ctx-out"));
        await _kafka.CreateTopicAsync(input, 2);
        await _kafka.CreateTopicAsync(output, 2);
        const int count = 2_000;
        await KafkaTestData.ProduceAsync(_kafka, input, 0, count);
        var group = "ctx-" + input;

        // Even ids cause one output, odd ids none: every input offset must still reach the committer.
        var (control, done) = KafkaSource.CommittableWithContext(KafkaTestData.Consumer(_kafka, input, group))
            .Select(r => (IReadOnlyList<ProducerRecord>)(KafkaTestData.Id(r) % 2 == 0 ? [new ProducerRecord(output, r.Key, r.Value)] : []))
            .Via(KafkaProducer.FlowWithContext<CommittableOffset>(new KafkaProducerSettings(_kafka.BootstrapServers)))
            .AsSource()
            .Select(t => t.Item2)
            .Take(count)
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(Sys.Materializer());
        await done.WaitAsync(Timeout);
        await control.ShutdownAsync().WaitAsync(Timeout);

        var committed = KafkaTestData.Committed(_kafka, input, group, 2);
        var ends = Enumerable.Range(0, 2).Select(p => WrittenCount(input, p, 1)).ToList();
        Assert.Equal(ends, committed.OrderBy(kv => kv.Key).Select(kv => kv.Value));
        Assert.Equal(count / 2, WrittenCount(output, 0, 2));
        _output.WriteLine($"{_kafka.Describe()}; {count} inputs, {count / 2} caused an output; output holds {WrittenCount(output, 0, 2)}; " +
            $"committed {string.Join(", ", committed)} = partition ends {string.Join(", ", ends)}");
    }

    private long WrittenCount(string topic, int first, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = "count" }).Build();
        return Enumerable.Range(first, partitions)
            .Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    private long WrittenCount(string topic, int partitions) => WrittenCount(topic, 0, partitions);
}
