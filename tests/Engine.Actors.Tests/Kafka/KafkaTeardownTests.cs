using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

/// <summary>
/// A stream torn down without a cancellation (its materializer shut down, as when its actor system terminates) closes its
/// consumer: before 2026-12-07 only a cancellation did, and the poll thread ran on, heartbeating, holding its partitions
/// from the group for the process's life.
/// </summary>
public sealed class KafkaTeardownTests(KafkaFixture kafka, ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output), IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_committable_source_whose_materializer_shuts_down_closes_its_consumer()
    {
        var topic = await TopicWithRecordsAsync("teardown-committable");
        var materializer = Sys.Materializer();
        var control = KafkaSource.CommittableSource(KafkaTestData.Consumer(kafka, topic, "g-" + topic))
            .ToMaterialized(Sink.Ignore<CommittableMessage>(), Keep.Left).Run(materializer);

        await ConsumedSomeAsync(control);
        materializer.Shutdown();
        await control.Shutdown.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_partitioned_source_whose_materializer_shuts_down_closes_its_consumer()
    {
        var topic = await TopicWithRecordsAsync("teardown-partitioned");
        var materializer = Sys.Materializer();
        var control = KafkaSource.CommittablePartitionedSource(KafkaTestData.Consumer(kafka, topic, "g-" + topic))
            .Via(Flow.Create<(Confluent.Kafka.TopicPartition, Akka.Streams.Dsl.Source<CommittableMessage, Akka.NotUsed>)>().MergeMany(4, partition => partition.Item2))
            .ToMaterialized(Sink.Ignore<CommittableMessage>(), Keep.Left).Run(materializer);

        await ConsumedSomeAsync(control);
        materializer.Shutdown();
        await control.Shutdown.WaitAsync(Timeout);
    }

    private async Task<string> TopicWithRecordsAsync(string name)
    {
        var topic = KafkaFixture.UniqueTopic(name);
        await kafka.CreateTopicAsync(topic, 2);
        await KafkaTestData.ProduceAsync(kafka, topic, 0, 200);
        return topic;
    }

    private static async Task ConsumedSomeAsync(IKafkaControl control)
    {
        for (var deadline = DateTime.UtcNow + Timeout; control.Metrics.Consumed == 0; await Task.Delay(20))
            Assert.True(DateTime.UtcNow < deadline, "nothing consumed");
    }
}
