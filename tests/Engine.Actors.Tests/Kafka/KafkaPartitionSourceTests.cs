using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

/// <summary>What a partition's own source may and may not do to its consumer.</summary>
public sealed class KafkaPartitionSourceTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private KafkaFixture kafka;
    private readonly ITestOutputHelper output;

    public KafkaPartitionSourceTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        this.kafka = kafka;
        this.output = output;
    }

    [Fact]
    public async Task A_partition_source_cancelled_while_the_partition_is_assigned_fails_the_source_instead_of_stalling_it()
    {
        var topic = KafkaFixture.UniqueTopic("abandoned");
        await kafka.CreateTopicAsync(topic, 2);
        await KafkaTestData.ProduceAsync(kafka, topic, 0, 400);

        // Each partition's source stops after 10 messages: nothing reads the rest, yet the consumer keeps the partitions.
        var (control, done) = KafkaSource.CommittablePartitionedSource(KafkaTestData.Consumer(kafka, topic, "abandoned-" + topic, maxBuffered: 50))
            .Via(Flow.Create<(Confluent.Kafka.TopicPartition, Source<CommittableMessage, Akka.NotUsed>)>().MergeMany(4, p => p.Item2.Take(10)))
            .ToMaterialized(Sink.Ignore<CommittableMessage>(), Keep.Both)
            .Run(Sys.Materializer());

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => done.WaitAsync(Timeout));
        output.WriteLine($"{kafka.Describe()}; the stream failed with: {failure.GetBaseException().Message}");
        Assert.Contains("cancelled the source of", failure.GetBaseException().Message);
        await Assert.ThrowsAnyAsync<Exception>(() => control.ShutdownAsync().WaitAsync(Timeout)); // the consumer failed with it
    }

    [Fact]
    public async Task A_consumer_that_failed_leaves_its_group_rather_than_holding_it_for_a_session()
    {
        kafka = await kafka.ForFaultsAsync(); // broker faults: on the embedded cluster, whatever the other tests run on
        var topic = KafkaFixture.UniqueTopic("failed-leaves");
        await kafka.CreateTopicAsync(topic, 2);
        await KafkaTestData.ProduceAsync(kafka, topic, 0, 400);
        kafka.StartRequestTracking();

        var (_, failed) = KafkaSource.CommittablePartitionedSource(KafkaTestData.Consumer(kafka, topic, "failed-leaves-" + topic, maxBuffered: 50))
            .Via(Flow.Create<(Confluent.Kafka.TopicPartition, Source<CommittableMessage, Akka.NotUsed>)>().MergeMany(4, p => p.Item2.Take(10)))
            .ToMaterialized(Sink.Ignore<CommittableMessage>(), Keep.Both)
            .Run(Sys.Materializer());
        await Assert.ThrowsAnyAsync<Exception>(() => failed.WaitAsync(Timeout));

        // Destroyed without a close (before 2026-12-06), the member left no LeaveGroup: every other member, and this source's
        // own restart, waited for its session to expire (45 s by default) before the group could rebalance. (The embedded
        // broker itself waits out the session either way, so the request is what can be checked here.)
        var leaves = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); leaves == 0 && DateTime.UtcNow < deadline; await Task.Delay(100))
            leaves = kafka.CountRequests(Engine.Host.Embedded.KafkaApi.LeaveGroup); // the stream fails first, then the consumer closes
        output.WriteLine($"{kafka.Describe()}; LeaveGroup requests after the failure: {leaves}");
        Assert.Equal(1, leaves);
    }
}
