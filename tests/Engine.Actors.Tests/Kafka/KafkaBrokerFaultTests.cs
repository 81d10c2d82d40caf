using System.Collections.Concurrent;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaBrokerFaultTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly KafkaFixture _kafka;
    private readonly ITestOutputHelper _output;

    public KafkaBrokerFaultTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        _kafka = kafka;
        _output = output;
    }

    [Fact]
    public async Task A_broker_down_for_seconds_loses_nothing_from_consume_through_produce_and_commit()
    {
        var kafka = await _kafka.ForFaultsAsync();
        var (input, output) = (KafkaFixture.UniqueTopic("fault-in"), KafkaFixture.UniqueTopic("fault-out"));
        const int partitions = 3, count = 6_000;
        await kafka.CreateTopicAsync(input, partitions);
        await kafka.CreateTopicAsync(output, partitions);
        var materializer = Sys.Materializer();

        // The engine's shape: consume, write what it decided, commit the input only once the output is acknowledged.
        var processed = 0;
        var (control, done) = KafkaSource.CommittableSource(KafkaTestData.Consumer(kafka, input, "fault-" + input))
            .Select(m => (IProducerEnvelope<CommittableOffset>)new ProducerMessage<CommittableOffset>(output, m.Record.Key, m.Record.Value, m.Offset))
            .Via(KafkaProducer.Flow<CommittableOffset>(new KafkaProducerSettings(kafka.BootstrapServers)))
            .Select(r => { Interlocked.Increment(ref processed); return r.PassThrough; })
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(materializer);

        var producing = Task.Run(async () =>
        {
            for (var from = 0; from < count; from += 200)
            {
                await KafkaTestData.ProduceAsync(kafka, input, from, from + 200);
                await Task.Delay(40);
            }
        });
        await WaitUntil(() => Volatile.Read(ref processed) > count / 4);
        var broker = kafka.BrokerIds[0];
        kafka.SetBrokerDown(broker);
        var processedWhenDown = Volatile.Read(ref processed);
        await Task.Delay(TimeSpan.FromSeconds(3));
        kafka.SetBrokerUp(broker);
        var processedWhenUp = Volatile.Read(ref processed);
        await producing.WaitAsync(Timeout);

        var written = await ReadIdsAsync(kafka, output, count, materializer);
        await control.DrainAndShutdownAsync(done).WaitAsync(Timeout);

        Assert.Equal(count, written.Distinct().Count());
        // The fault hit the stream mid-way, and every input record was committed once its output was acknowledged.
        Assert.InRange(processedWhenDown, count / 4, count - 1);
        var committed = KafkaTestData.Committed(kafka, input, "fault-" + input, partitions);
        Assert.Equal(count, committed.Values.Sum());
        _output.WriteLine($"{kafka.Describe()}; injected {count} on {partitions} partitions; broker {broker} down for 3 s " +
            $"(processed {processedWhenDown} before, {processedWhenUp} when it came back); committed {committed.Values.Sum()}; output holds {written.Count} records, " +
            $"{written.Distinct().Count()} distinct; consumer: {control.Metrics}");
    }

    [Fact]
    public async Task Producer_flow_fails_when_a_record_cannot_be_delivered()
    {
        var kafka = await _kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("undeliverable");
        await kafka.CreateTopicAsync(topic, 1);
        foreach (var broker in kafka.BrokerIds) kafka.SetBrokerDown(broker);
        try
        {
            var settings = new KafkaProducerSettings(kafka.BootstrapServers,
                new Dictionary<string, string> { ["message.timeout.ms"] = "1500" });
            var run = Source.Single((IProducerEnvelope<int>)new ProducerMessage<int>(topic, null, [1], 7))
                .Via(KafkaProducer.Flow<int>(settings))
                .RunWith(Sink.Seq<ProducerResult<int>>(), Sys.Materializer());
            var error = await Assert.ThrowsAnyAsync<ProduceException<byte[], byte[]>>(() => run.WaitAsync(Timeout));
            _output.WriteLine($"{kafka.Describe()}; all brokers down, message.timeout.ms=1500: the flow failed with {error.Error.Code}: {error.Error.Reason}");
        }
        finally
        {
            foreach (var broker in kafka.BrokerIds) kafka.SetBrokerUp(broker);
        }
    }

    /// <summary>Reads the output topic from the start (fresh group) until <paramref name="expected"/> distinct ids arrived.</summary>
    private async Task<List<int>> ReadIdsAsync(KafkaFixture kafka, string topic, int expected, IMaterializer materializer)
    {
        var ids = new ConcurrentQueue<int>();
        var distinct = new ConcurrentDictionary<int, bool>();
        var (control, done) = KafkaSource.CommittableSource(KafkaTestData.Consumer(kafka, topic, "read-" + topic))
            .Select(m => { ids.Enqueue(KafkaTestData.Id(m.Record)); distinct[KafkaTestData.Id(m.Record)] = true; return m.Offset; })
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(materializer);
        await WaitUntil(() => distinct.Count >= expected);
        await control.DrainAndShutdownAsync(done).WaitAsync(Timeout);
        return ids.ToList();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in " + Timeout);
            await Task.Delay(50);
        }
    }
}
