using Confluent.Kafka;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Experiments;

namespace Engine.Host.Reports;

/// <summary>
/// Reads the report's topics from their first offsets on a thread of its own, as they are written, until asked to
/// <see cref="Finish"/>: then up to each partition's end at that moment. Reading along matters on the embedded broker,
/// which keeps only ~5 MB per partition: a long run read afterwards would have lost its start. Unreadable records are
/// skipped (the dead-letter topic already names them). Assigned, never committed: the engine's own groups are untouched.
/// </summary>
public sealed class TopicTail : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly Engine.Actors.Pipeline.DecisionTopics _topics;
    private readonly List<TopicPartition> _partitions;
    private readonly List<ClickEvent> _clicks = [];
    private readonly List<IDecision> _decisions = [];
    private readonly List<ShadowScore> _shadow = [];
    private readonly Task _reading;
    private readonly CancellationTokenSource _abort = new();
    private volatile bool _finishing;
    private DateTime _deadline = DateTime.MaxValue;

    private TopicTail(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Engine.Actors.Pipeline.DecisionTopics topics)
    {
        (_consumer, _partitions, _topics) = (consumer, partitions, topics);
        _consumer.Assign(partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        _reading = Task.Factory.StartNew(Read, TaskCreationOptions.LongRunning);
    }

    /// <param name="topics">The decision topics' names, as the engine was configured (<c>Kafka:Topics</c>); null: the defaults.</param>
    public static TopicTail Start(string bootstrap, IReadOnlyDictionary<string, string> client, TimeSpan timeout, Engine.Actors.Pipeline.DecisionTopics? topics = null)
    {
        topics ??= new Engine.Actors.Pipeline.DecisionTopics();
        string[] names = [Topics.Clickstream, topics.Recommendations, topics.BidDecisions, topics.ChurnAlerts, Topics.ShadowScores];
        using var admin = new AdminClientBuilder(new AdminClientConfig(client.ToDictionary()) { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(timeout).Topics.Where(t => names.Contains(t.Topic))
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId))).ToList();
        var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig(KafkaClientProperties.ForConsumer(client))
        {
            BootstrapServers = bootstrap,
            GroupId = "engine-report-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        return new TopicTail(consumer, partitions, topics);
    }

    /// <summary>Reads on to the ends the topics have now, then returns everything read.</summary>
    /// <exception cref="TimeoutException">The ends were not reached within <paramref name="timeout"/>.</exception>
    public TopicSnapshot Finish(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _deadline = DateTime.UtcNow + timeout;
        _finishing = true;
        using (cancellationToken.Register(_abort.Cancel)) _reading.GetAwaiter().GetResult();
        return new TopicSnapshot(_clicks, _decisions, _shadow);
    }

    private void Read()
    {
        Dictionary<TopicPartition, long>? remaining = null;
        while (!_abort.IsCancellationRequested)
        {
            if (_finishing && remaining is null) remaining = Ends();
            if (remaining is { Count: 0 }) return;
            if (DateTime.UtcNow > _deadline)
                throw new TimeoutException($"the report read only part of {string.Join(", ", remaining!.Keys)} before its deadline");
            if (_consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } record) continue;
            if (remaining is not null && remaining.TryGetValue(record.TopicPartition, out var end) && record.Offset.Value + 1 >= end)
                remaining.Remove(record.TopicPartition);
            Decode(record.Topic, record.Message.Value);
        }
    }

    /// <summary>The end of each partition not yet read to its end (the position is where the next record would be read).</summary>
    private Dictionary<TopicPartition, long> Ends()
    {
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var tp in _partitions)
        {
            var marks = _consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
            var position = _consumer.Position(tp);
            if (marks.High > marks.Low && (position == Offset.Unset || position.Value < marks.High)) ends[tp] = marks.High.Value;
        }
        return ends;
    }

    private void Decode(string topic, byte[]? value)
    {
        if (value is null) return;
        try
        {
            if (topic == Topics.Clickstream) { if (ClickEventCodec.Decode(value).Event is { } evt) _clicks.Add(evt); }
            else if (topic == _topics.Recommendations) _decisions.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.Recommendation)!);
            else if (topic == _topics.BidDecisions) _decisions.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.BidDecision)!);
            else if (topic == _topics.ChurnAlerts) _decisions.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.ChurnAlert)!);
            else if (topic == Topics.ShadowScores) _shadow.Add(System.Text.Json.JsonSerializer.Deserialize(value, EngineJson.Default.ShadowScore)!);
        }
        catch (System.Text.Json.JsonException)
        {
            // Not this report's to judge; it counts what it can read.
        }
    }

    public void Dispose()
    {
        _abort.Cancel();
        try { _reading.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { } // a reading error was already thrown by Finish
        _consumer.Close();
        _consumer.Dispose();
        _abort.Dispose();
    }
}
