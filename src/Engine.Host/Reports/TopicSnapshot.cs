using Confluent.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Experiments;

namespace Engine.Host.Reports;

/// <summary>
/// Everything the experiments report reads, as it stands in Kafka when the report starts: the clickstream, the decision
/// topics and the shadow scores, each read from its first offset up to its end at that moment (later records wait for the
/// next report). Unreadable records are skipped: the dead-letter topic already names them.
/// </summary>
public sealed record TopicSnapshot(IReadOnlyList<ClickEvent> Clickstream, IReadOnlyList<IDecision> Decisions, IReadOnlyList<ShadowScore> ShadowScores)
{
    public static TopicSnapshot Read(string bootstrap, IReadOnlyDictionary<string, string> client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (clicks, decisions, shadow) = (new List<ClickEvent>(), new List<IDecision>(), new List<ShadowScore>());
        string[] topics = [Topics.Clickstream, Topics.Recommendations, Topics.BidDecisions, Topics.ChurnAlerts, Topics.ShadowScores];
        var config = new ConsumerConfig(client.ToDictionary())
        {
            BootstrapServers = bootstrap,
            GroupId = "engine-report-" + Guid.NewGuid().ToString("N"), // assigned, never committed: the engine's own group is untouched
            EnableAutoCommit = false,
        };
        using var admin = new AdminClientBuilder(new AdminClientConfig(client.ToDictionary()) { BootstrapServers = bootstrap }).Build();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        var remaining = new Dictionary<TopicPartition, long>();
        foreach (var topic in admin.GetMetadata(timeout).Topics.Where(t => topics.Contains(t.Topic)))
        foreach (var partition in topic.Partitions)
        {
            var tp = new TopicPartition(topic.Topic, partition.PartitionId);
            var marks = consumer.QueryWatermarkOffsets(tp, timeout);
            if (marks.High > marks.Low) remaining[tp] = marks.High;
        }
        consumer.Assign(remaining.Keys.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var deadline = DateTime.UtcNow + timeout;
        while (remaining.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the report read only part of {string.Join(", ", remaining.Keys.Select(k => k.ToString()))} within {timeout}");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } record) continue;
            if (remaining.TryGetValue(record.TopicPartition, out var end) && record.Offset.Value + 1 >= end) remaining.Remove(record.TopicPartition);
            Decode(record.Topic, record.Message.Value, clicks, decisions, shadow);
        }
        consumer.Close();
        return new TopicSnapshot(clicks, decisions, shadow);
    }

    private static void Decode(string topic, byte[]? value, List<ClickEvent> clicks, List<IDecision> decisions, List<ShadowScore> shadow)
    {
        if (value is null) return;
        try
        {
            switch (topic)
            {
                case Topics.Clickstream when ClickEventCodec.Decode(value).Event is { } evt: clicks.Add(evt); break;
                case Topics.Recommendations: decisions.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.Recommendation)!); break;
                case Topics.BidDecisions: decisions.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.BidDecision)!); break;
                case Topics.ChurnAlerts: decisions.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.ChurnAlert)!); break;
                case Topics.ShadowScores: shadow.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.ShadowScore)!); break;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not ours to judge here; the report counts what it can read.
        }
    }
}
