using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Host.Embedded;
using Engine.Host.Reports;
using Engine.Models.Contracts;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Reports;

public sealed class TopicSnapshotTests(KafkaFixture kafka, ITestOutputHelper output) : IClassFixture<KafkaFixture>
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

    /// <summary>
    /// A transactional producer (Kafka Streams, Flink, Connect with exactly-once) ends each commit with a control record the
    /// consumer never returns: before 2026-12-07 the report waited for a record at the partition's last offset until its
    /// deadline, then failed, having read everything (review).
    /// </summary>
    [Fact]
    public async Task A_partition_ending_in_a_transactions_commit_marker_is_read_to_its_end()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topics.Clickstream, 1);
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
               {
                   BootstrapServers = kafka.BootstrapServers, TransactionalId = "upstream-" + Guid.NewGuid().ToString("N"),
               }).Build())
        {
            producer.InitTransactions(TimeSpan.FromSeconds(30));
            producer.BeginTransaction();
            for (var i = 0; i < 3; i++)
            {
                var click = new ClickEvent
                {
                    EventId = $"e-{i}", EventTime = DateTimeOffset.UtcNow, UserId = "u-1", SessionId = "s-1", Type = EventType.ProductView,
                    ItemId = "item-1", Category = "shoes",
                };
                producer.Produce(Topics.Clickstream, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = ClickEventCodec.Encode(click) });
            }
            producer.CommitTransaction(TimeSpan.FromSeconds(30));
        }

        var snapshot = TopicSnapshot.Read(kafka.BootstrapServers, new Dictionary<string, string>(), TimeSpan.FromSeconds(15), CancellationToken.None);

        Assert.Equal(["e-0", "e-1", "e-2"], snapshot.Clickstream.Select(c => c.EventId));
    }

    /// <summary>
    /// Before 2026-12-07 --from only filtered what the report had read from the topics' first offsets: against a week's
    /// retention it held every record in memory (review). Now each partition starts at its first record an hour before,
    /// where Kafka finds records by time; librdkafka's mock broker finds none by time, and there it reads from the start.
    /// </summary>
    [Fact]
    public async Task A_report_from_a_time_reads_from_an_hour_before_it()
    {
        var topics = new DecisionTopics(Recommendations: KafkaFixture.UniqueTopic("recs"), BidDecisions: KafkaFixture.UniqueTopic("bids"),
            ChurnAlerts: KafkaFixture.UniqueTopic("churn"));
        await kafka.CreateTopicAsync(Topics.Clickstream, 1);
        var from = DateTimeOffset.UtcNow.AddDays(-1);
        string[] ids;
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            // 20 records a day before, 2 within the hour before (their events may be stamped up to an hour later), 3 after.
            var records = Enumerable.Range(0, 20).Select(i => ($"old-{i}", from.AddDays(-1)))
                .Concat([("margin-0", from.AddMinutes(-30)), ("margin-1", from.AddMinutes(-1))])
                .Concat(Enumerable.Range(0, 3).Select(i => ($"new-{i}", from.AddMinutes(i)))).ToList();
            var run = Guid.NewGuid().ToString("N");
            ids = records.Select(r => $"{run}-{r.Item1}").ToArray();
            foreach (var ((name, at), id) in records.Zip(ids))
            {
                var click = new ClickEvent
                {
                    EventId = id, EventTime = at, UserId = "u-1", SessionId = "s-1", Type = EventType.ProductView, ItemId = "item-1", Category = "shoes",
                };
                producer.Produce(Topics.Clickstream, new Message<byte[], byte[]>
                {
                    Key = "u-1"u8.ToArray(), Value = ClickEventCodec.Encode(click), Timestamp = new Timestamp(at),
                });
            }
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var read = TopicSnapshot.Read(kafka.BootstrapServers, new Dictionary<string, string>(), TimeSpan.FromSeconds(15), CancellationToken.None, topics, from)
            .Clickstream.Select(c => c.EventId).Where(ids.Contains).ToList();

        output.WriteLine($"{kafka.Describe()}: read {read.Count} of the {ids.Length} records");
        Assert.Equal(ids[^5..], read[^5..]); // every record from an hour before, in order
        Assert.Equal(kafka.Kind == KafkaKind.Embedded ? ids.Length : 5, read.Count); // and before that only where Kafka cannot find records by time
    }
}
