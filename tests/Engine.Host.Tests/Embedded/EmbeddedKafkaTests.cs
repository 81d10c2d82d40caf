using Confluent.Kafka;
using Engine.Host.Embedded;
using Engine.Models.Contracts;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Embedded;

public sealed class EmbeddedKafkaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Serves_the_engine_topics_with_their_partitions_over_the_kafka_protocol()
    {
        await using var kafka = new EmbeddedKafka(brokers: 3);
        kafka.CreateTopics(Topics.All, partitions: 3);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));

        Assert.Equal([1, 2, 3], kafka.BrokerIds);
        Assert.Equal(kafka.BrokerIds, metadata.Brokers.Select(b => b.BrokerId).Order());
        foreach (var topic in Topics.All)
            Assert.Equal(3, metadata.Topics.Single(t => t.Topic == topic).Partitions.Count);
        output.WriteLine($"embedded Kafka at {kafka.BootstrapServers}: {metadata.Brokers.Count} brokers, " +
            $"{metadata.Topics.Count(t => Topics.All.Contains(t.Topic))} engine topics x 3 partitions");
    }

    /// <summary>
    /// Each platform Confluent.Kafka ships a librdkafka for finds one that is in the build output (before 2026-12-07 only
    /// linux-x64's centos8 build was tried, so the embedded Kafka, and with it <c>./engine demo</c>, failed on macOS and arm64).
    /// </summary>
    [Theory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    [InlineData("linux-musl-x64")]
    [InlineData("linux-musl-arm64")]
    [InlineData("osx-arm64")]
    [InlineData("osx-x64")]
    [InlineData("win-x64")]
    public void Finds_the_librdkafka_build_shipped_for_each_platform(string runtime)
    {
        var files = LibRdKafkaMock.NativeFiles(runtime);
        output.WriteLine($"{runtime}: {string.Join(", ", files)}");
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, file)), $"{file} is not in the build output"));
    }

    [Fact]
    public void The_centos8_build_comes_first_on_linux_x64() => // the plain librdkafka.so needs libsasl2, absent on Debian 12
        Assert.EndsWith("centos8-librdkafka.so", LibRdKafkaMock.NativeFiles("linux-x64")[0]);

    [Fact]
    public async Task A_broker_set_down_refuses_connections_until_set_up()
    {
        await using var kafka = new EmbeddedKafka(brokers: 1);
        kafka.CreateTopic("down-up", 1);
        var config = new ProducerConfig { BootstrapServers = kafka.BootstrapServers, MessageTimeoutMs = 1500 };

        kafka.SetBrokerDown(1);
        using (var producer = new ProducerBuilder<Null, string>(config).SetLogHandler((_, _) => { }).Build())
        {
            var failed = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("down-up", new Message<Null, string> { Value = "lost" }));
            Assert.Equal(ErrorCode.Local_MsgTimedOut, failed.Error.Code);
        }
        kafka.SetBrokerUp(1);
        using (var producer = new ProducerBuilder<Null, string>(config).Build())
        {
            var delivered = await producer.ProduceAsync("down-up", new Message<Null, string> { Value = "kept" });
            Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
        }
        output.WriteLine("down: produce timed out (Local_MsgTimedOut); up: produce persisted");
    }
}
