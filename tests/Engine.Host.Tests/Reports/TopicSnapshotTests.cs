using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Host.Embedded;
using Engine.Host.Reports;
using Engine.Models.Contracts;

namespace Engine.Host.Tests.Reports;

public sealed class TopicSnapshotTests
{
    [Fact]
    public async Task The_report_reads_decisions_from_the_topics_the_engine_was_configured_with()
    {
        // A deployment that renamed its output topics (Kafka:Topics): before 2026-12-06 the report read the default names
        // only, and came back empty.
        var topics = new DecisionTopics(Recommendations: "shop.recommendations");
        await using var kafka = new EmbeddedKafka();
        foreach (var topic in new[] { Topics.Clickstream, topics.Recommendations, Topics.Recommendations }) kafka.CreateTopic(topic, 1);
        var recommendation = new Recommendation
        {
            DecisionId = "d-1", CausedBy = "e-1", DecidedAt = DateTimeOffset.UtcNow, ModelVersion = "recs-1", Reasons = [], UserId = "u-1", Items = [],
        };
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            var record = topics.Record(recommendation);
            await producer.ProduceAsync(record.Topic, new Message<byte[], byte[]> { Key = record.Key!, Value = record.Value! });
        }

        var snapshot = TopicSnapshot.Read(kafka.BootstrapServers, new Dictionary<string, string>(), TimeSpan.FromSeconds(30), CancellationToken.None, topics);

        Assert.Equal("d-1", Assert.Single(snapshot.Decisions).DecisionId);
    }
}
