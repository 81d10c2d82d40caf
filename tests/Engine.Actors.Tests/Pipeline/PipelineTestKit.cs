using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Cluster;
using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>What the pipeline tests share: a one-node cluster, fresh topics per test, and reading a topic back.</summary>
public abstract class PipelineTestKit(KafkaFixture kafka, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.actor.provider = cluster\nakka.remote.dot-netty.tcp { hostname = \"127.0.0.1\", port = 0 }\nakka.loglevel = WARNING", output: output)
{
    /// <summary>The tests' Kafka (a fault test sets the embedded one: <see cref="KafkaFixture.ForFaultsAsync"/>).</summary>
    protected KafkaFixture Kafka { get; set; } = kafka;

    protected async Task JoinSelfAsync()
    {
        var cluster = Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        AwaitCondition(() => cluster.State.Members.Any(m => m.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));
    }

    /// <summary>A unique input topic and unique decision topics, all created with <paramref name="partitions"/>.</summary>
    protected async Task<(string Input, DecisionTopics Topics)> CreateTopicsAsync(int partitions)
    {
        var input = KafkaFixture.UniqueTopic("clicks");
        var topics = new DecisionTopics(
            KafkaFixture.UniqueTopic("recs"), KafkaFixture.UniqueTopic("bids"), KafkaFixture.UniqueTopic("adjust"),
            KafkaFixture.UniqueTopic("churn"), KafkaFixture.UniqueTopic("dlq"));
        foreach (var t in new[] { input, topics.Recommendations, topics.BidDecisions, topics.BidAdjustments, topics.ChurnAlerts, topics.DeadLetters })
            await Kafka.CreateTopicAsync(t, partitions);
        return (input, topics);
    }

    /// <summary>Everything on the topic, parsed as <typeparamref name="T"/>; stops once the topic has gone quiet after the first message (or after 5 s).</summary>
    protected List<T> Read<T>(string topic, int partitions, JsonTypeInfo<T> type)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers, GroupId = "reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new List<T>();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is { } message) values.Add(JsonSerializer.Deserialize(message.Value, type)!);
            else if (values.Count > 0) break;
        }
        return values;
    }
}
