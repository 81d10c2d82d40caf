using System.Collections.Concurrent;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaRebalanceTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private readonly KafkaFixture _kafka;
    private readonly ITestOutputHelper _output;

    public KafkaRebalanceTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        _kafka = kafka;
        _output = output;
    }

    [Fact]
    public async Task Two_consumers_split_the_partitions_and_one_leaving_loses_nothing()
    {
        var topic = KafkaFixture.UniqueTopic("rebalance");
        var group = "rebalance-" + topic;
        const int partitions = 4, chunk = 100, maxCount = 50_000;
        await _kafka.CreateTopicAsync(topic, partitions);
        var settings = KafkaTestData.Consumer(_kafka, topic, group);
        var materializer = Sys.Materializer();

        // A: one sub-source per partition, each committing on its own.
        var seenByA = new ConcurrentQueue<KafkaRecord>();
        var partitionsGivenToA = new ConcurrentQueue<int>();
        CommittableOffset? firstOffsetOfA = null;
        var (controlA, doneA) = KafkaSource.CommittablePartitionedSource(settings)
            .Select(p => { partitionsGivenToA.Enqueue(p.Partition.Partition.Value); return p.Messages; })
            .Via(Flow.Create<Source<CommittableMessage, NotUsed>>().MergeMany(partitions, messages => messages.Select(m =>
            {
                seenByA.Enqueue(m.Record);
                Interlocked.CompareExchange(ref firstOffsetOfA, m.Offset, null);
                return m.Offset;
            })))
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(materializer);

        // Messages keep coming while the group changes (however long the rebalances take), until B has left.
        var stopProducing = false;
        var producing = Task.Run(async () =>
        {
            var produced = 0;
            for (; !Volatile.Read(ref stopProducing) && produced < maxCount; produced += chunk)
            {
                await KafkaTestData.ProduceAsync(_kafka, topic, produced, produced + chunk);
                await Task.Delay(50);
            }
            return produced;
        });

        await WaitUntil(() => seenByA.Count > 500);
        var b = new ConsumerRun(materializer, settings, new CommitterSettings());
        await WaitUntil(() => b.Seen.Count > 200);
        var partitionsOfB = b.Seen.Select(r => r.Partition).Distinct().Count();

        // An offset A read before the rebalance is stale now: committing it must not move the group's position back.
        var committedBefore = KafkaTestData.Committed(_kafka, topic, group, partitions);
        await Source.Single(firstOffsetOfA!).RunWith(Committer.Sink(new CommitterSettings()), materializer).WaitAsync(Timeout);
        var committedAfter = KafkaTestData.Committed(_kafka, topic, group, partitions);
        Assert.True(controlA.Metrics.StaleCommitsDropped >= 1, controlA.Metrics.ToString());
        Assert.True(committedAfter[firstOffsetOfA!.Partition] >= committedBefore[firstOffsetOfA.Partition]);

        // B leaves: A takes every partition back and reads to the end.
        await b.Control.DrainAndShutdownAsync(b.Done).WaitAsync(Timeout);
        Volatile.Write(ref stopProducing, true);
        var count = await producing.WaitAsync(Timeout);
        await WaitUntil(() => seenByA.Concat(b.Seen).Select(KafkaTestData.Id).Distinct().Count() == count);
        await controlA.DrainAndShutdownAsync(doneA).WaitAsync(Timeout);

        var ids = seenByA.Concat(b.Seen).Select(KafkaTestData.Id).ToList();
        Assert.Equal(count, ids.Distinct().Count());
        Assert.InRange(partitionsOfB, 1, partitions - 1);
        _output.WriteLine($"{_kafka.Describe()}; injected {count} on {partitions} partitions while the group changed; " +
            $"A saw {seenByA.Count}, B saw {b.Seen.Count} from {partitionsOfB} partition(s); distinct {ids.Distinct().Count()}, " +
            $"duplicates {ids.Count - ids.Distinct().Count()}; sub-sources given to A: {partitionsGivenToA.Count}; A: {controlA.Metrics}; B: {b.Control.Metrics}");
    }

    [Fact]
    public async Task A_stopped_consumer_pauses_partitions_given_back_to_it_rather_than_fetching_their_backlog()
    {
        var topic = KafkaFixture.UniqueTopic("stopped-given-back");
        const int partitions = 4;
        await _kafka.CreateTopicAsync(topic, partitions);
        var settings = KafkaTestData.Consumer(_kafka, topic, "stopped-" + topic);
        var materializer = Sys.Materializer();
        await KafkaTestData.ProduceAsync(_kafka, topic, 0, 400);
        var a = new ConsumerRun(materializer, settings, new CommitterSettings());
        await WaitUntil(() => a.Seen.Count == 400);
        // B joins: the partitions are split between them.
        var b = new ConsumerRun(materializer, settings, new CommitterSettings());
        for (var next = 400; b.Seen.IsEmpty; next += 100) await KafkaTestData.ProduceAsync(_kafka, topic, next, next + 100);
        a.Control.Stop(); // draining: it stays in the group to commit, and emits nothing more (its own partitions paused)

        // B leaves: its partitions, which the stopped A never held, go to A.
        await b.Control.DrainAndShutdownAsync(b.Done).WaitAsync(Timeout);
        var atLeave = a.Control.Metrics.Consumed;
        await KafkaTestData.ProduceAsync(_kafka, topic, 100_000, 110_000);

        // A fetches each given-back partition's first record, and pauses it: before 2026-12-06 it fetched and dropped the
        // whole backlog (and kept fetching) for as long as its drain lasted.
        await WaitUntil(() => a.Control.Metrics.Consumed > atLeave);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var fetched = a.Control.Metrics.Consumed - atLeave;
        _output.WriteLine($"{_kafka.Describe()}; the stopped consumer took {fetched:N0} records of the 10,000 produced after the partitions came back");
        Assert.True(fetched < 1_000, $"the stopped consumer fetched {fetched:N0} records it could not emit");
        await a.Control.ShutdownAsync().WaitAsync(Timeout);
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
