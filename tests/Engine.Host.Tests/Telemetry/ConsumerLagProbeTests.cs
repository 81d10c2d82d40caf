using Confluent.Kafka;
using Engine.Host.Embedded;
using Engine.Host.Telemetry;

namespace Engine.Host.Tests.Telemetry;

public sealed class ConsumerLagProbeTests
{
    /// <summary>
    /// A partition without a leader has no lag to read, and only it is left out. Before, its failed watermark query failed
    /// the whole reading, so every partition's lag series kept its last value for as long as one partition was leaderless.
    /// </summary>
    [Fact]
    public async Task A_leaderless_partition_is_left_out_and_the_others_are_still_read()
    {
        await using var kafka = new EmbeddedKafka();
        const string topic = "clicks";
        kafka.CreateTopic(topic, 3);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            foreach (var partition in new[] { 0, 1, 2 })
                for (var i = 0; i <= partition; i++)
                    await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, string> { Value = "e" });
        }
        using var probe = new ConsumerLagProbe(kafka.BootstrapServers, new Dictionary<string, string>(), [("engine", topic)]);
        Assert.Equal([(0, 1L), (1, 2L), (2, 3L)], probe.Read().Select(l => (l.Partition, l.Lag)).OrderBy(l => l.Partition));

        kafka.SetPartitionLeader(topic, 1, -1);

        Assert.Equal([(0, 1L), (2, 3L)], probe.Read().Select(l => (l.Partition, l.Lag)).OrderBy(l => l.Partition));
    }
}
