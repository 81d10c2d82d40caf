using Confluent.Kafka;
using Engine.Host.Embedded;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Embedded;

public sealed class MockLogRetentionTests(ITestOutputHelper output)
{
    private const string Topic = "retained";

    [Fact]
    public async Task Deletes_only_what_every_reading_group_has_committed_and_a_group_resumes_where_it_left_off()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, 2);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 0 }).Build())
        {
            for (var i = 0; i < 100; i++)
                foreach (var partition in new[] { 0, 1 })
                    await producer.ProduceAsync(new TopicPartition(Topic, partition), new Message<Null, string> { Value = $"record {i}" });
        }
        Commit(kafka, "fast", (0, 60), (1, 80));
        Commit(kafka, "slow", (0, 40));
        await using var retention = new MockLogRetention(kafka, [("fast", Topic), ("slow", Topic)], partitions: 2, interval: TimeSpan.FromHours(1));

        var moved = retention.TrimOnce();

        // Partition 0: the slower group's 40. Partition 1: "slow" has committed nothing there, so all of it stays.
        Assert.Equal(1, moved);
        Assert.Equal(40, LogStart(kafka, 0));
        Assert.Equal(0, LogStart(kafka, 1));
        output.WriteLine($"commits fast p0 60 p1 80, slow p0 40: log starts now p0 {LogStart(kafka, 0)}, p1 {LogStart(kafka, 1)} (of 100 each)");

        Commit(kafka, "slow", (1, 70));
        Assert.Equal(1, retention.TrimOnce());
        Assert.Equal(70, LogStart(kafka, 1));
        Assert.Equal(0, retention.TrimOnce()); // nothing new committed: nothing to do

        // A member of the slow group picks up at its commit: nothing it had not read was deleted.
        using var resumed = new ConsumerBuilder<Null, string>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = "slow", AutoOffsetReset = AutoOffsetReset.Error, EnableAutoCommit = false,
        }).Build();
        resumed.Assign(resumed.Committed([new TopicPartition(Topic, 0)], TimeSpan.FromSeconds(10)));
        var first = resumed.Consume(TimeSpan.FromSeconds(10));
        Assert.NotNull(first);
        Assert.Equal(40, first.Offset.Value);
        Assert.Equal("record 40", first.Message.Value);
        output.WriteLine($"after slow p1 70: p1 starts at {LogStart(kafka, 1)}; the slow group resumes p0 at offset {first.Offset.Value} ('{first.Message.Value}')");
    }

    /// <summary>Commits offsets for a group without joining it, as a finished reader would have.</summary>
    private static void Commit(EmbeddedKafka kafka, string group, params (int Partition, long Offset)[] offsets)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = group, EnableAutoCommit = false }).Build();
        consumer.Commit(offsets.Select(o => new TopicPartitionOffset(Topic, o.Partition, o.Offset)));
    }

    private static long LogStart(EmbeddedKafka kafka, int partition)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "watermarks" }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(Topic, partition), TimeSpan.FromSeconds(10)).Low.Value;
    }
}
