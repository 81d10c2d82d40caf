using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;

namespace Engine.Actors.Tests.Kafka;

/// <summary>Test messages: key "k{n}", value = (global id, sequence within the key); written with a plain producer.</summary>
internal static class KafkaTestData
{
    public static byte[] Key(int key) => Encoding.UTF8.GetBytes("k" + key);

    public static byte[] Value(int id, int sequence)
    {
        var value = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(value, id);
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(4), sequence);
        return value;
    }

    public static int Id(KafkaRecord record) => BinaryPrimitives.ReadInt32LittleEndian(record.Value);
    public static int Sequence(KafkaRecord record) => BinaryPrimitives.ReadInt32LittleEndian(record.Value.AsSpan(4));
    public static string KeyOf(KafkaRecord record) => Encoding.UTF8.GetString(record.Key!);

    /// <summary>Writes messages ids [from, to) spread over <paramref name="keys"/> keys, waiting for every acknowledgement.</summary>
    public static async Task ProduceAsync(KafkaFixture kafka, string topic, int from, int to, int keys = 50, CancellationToken ct = default)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 2,
        }).SetLogHandler((_, _) => { }).Build(); // broker-down noise is expected in the fault tests
        var failures = 0;
        for (var id = from; id < to; id++)
        {
            ct.ThrowIfCancellationRequested();
            producer.Produce(topic, new Message<byte[], byte[]> { Key = Key(id % keys), Value = Value(id, id / keys) },
                report => { if (report.Error.IsError) Interlocked.Increment(ref failures); });
        }
        await Task.Run(() => producer.Flush(TimeSpan.FromSeconds(30)), ct);
        Assert.Equal(0, failures);
    }

    public static KafkaConsumerSettings Consumer(KafkaFixture kafka, string topic, string group, int maxBuffered = 10_000) =>
        new(kafka.BootstrapServers, group, [topic], MaxBufferedPerPartition: maxBuffered,
            ClientConfig: new Dictionary<string, string> { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "500" });

    /// <summary>The group's committed position per partition (-1001: none), read with a throw-away consumer.</summary>
    public static Dictionary<int, long> Committed(KafkaFixture kafka, string topic, string group, int partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = group, EnableAutoCommit = false,
        }).Build();
        var committed = consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        return committed.ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }
}
