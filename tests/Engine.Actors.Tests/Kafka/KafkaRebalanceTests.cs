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
