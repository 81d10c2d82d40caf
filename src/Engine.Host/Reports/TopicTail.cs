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
    private TimeSpan _idleTimeout;
    private readonly Dictionary<TopicPartition, long> _readTo = []; // per partition, the end last reached (partition EOF)

    private TopicTail(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Engine.Actors.Pipeline.DecisionTopics topics,
        DateTimeOffset? from, TimeSpan timeout)
    {
        (_consumer, _partitions, _topics) = (consumer, partitions, topics);
        _consumer.Assign(from is { } since ? StartsAt(since, timeout) : partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        _reading = Task.Factory.StartNew(Read, TaskCreationOptions.LongRunning);
    }

    /// <summary>
    /// Each partition's first record an hour before <paramref name="from"/>; none (no record since): its end. librdkafka's
    /// mock broker (the embedded default) finds no record by time at all: a partition for which even the first record since
    /// 1970 is not found is read from its start (it costs only time: the report keeps what follows <paramref name="from"/>).
    /// </summary>
    private List<TopicPartitionOffset> StartsAt(DateTimeOffset from, TimeSpan timeout)
    {
        var found = _consumer.OffsetsForTimes(_partitions.Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(from - EarliestRecordBefore))).ToList(), timeout);
        var none = found.Where(f => f.Offset.Value < 0).Select(f => f.TopicPartition).ToList();
        if (none.Count == 0) return found;
        var anyTime = _consumer.OffsetsForTimes(none.Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(0, TimestampType.CreateTime))).ToList(), timeout)
            .ToDictionary(f => f.TopicPartition, f => f.Offset.Value >= 0);
        return found.Select(f => f.Offset.Value >= 0 ? f
            : new TopicPartitionOffset(f.TopicPartition, anyTime.GetValueOrDefault(f.TopicPartition) ? Offset.End : Offset.Beginning)).ToList();
    }

    /// <summary>
    /// How long before a report's start its records may have reached Kafka: an event may be stamped up to an hour after its
    /// record (<see cref="Engine.Actors.Pipeline.DecodedRecord.MaxAheadOfRecord"/>), and its decisions follow it.
    /// </summary>
    private static readonly TimeSpan EarliestRecordBefore = Engine.Actors.Pipeline.DecodedRecord.MaxAheadOfRecord;

    /// <param name="topics">The decision topics' names, as the engine was configured (<c>Kafka:Topics</c>); null: the defaults.</param>
    /// <param name="from">Where the report starts (null: the topics' first offsets): each partition is read from the first
    /// record an hour before it, not from the start of the topic's retention.</param>
    public static TopicTail Start(string bootstrap, IReadOnlyDictionary<string, string> client, TimeSpan timeout,
        Engine.Actors.Pipeline.DecisionTopics? topics = null, DateTimeOffset? from = null)
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
            // The end of a partition is told, not inferred from its last record's offset: a transactional producer's commit
            // marker sits at the last offset and is never returned.
            EnablePartitionEof = true,
        }).Build();
        try
        {
            return new TopicTail(consumer, partitions, topics, from, timeout);
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>Reads on to the ends the topics have now, then returns everything read.</summary>
    /// <exception cref="TimeoutException">Nothing was read for <paramref name="timeout"/> before the ends were reached.</exception>
    public TopicSnapshot Finish(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _idleTimeout = timeout;
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
                throw new TimeoutException($"the report read nothing for {_idleTimeout.TotalSeconds:F0} s before the ends of {string.Join(", ", remaining!.Keys)}");
            if (_consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } record) continue;
            // A long read is not a stuck one: the deadline is for Kafka to answer, not for the whole retention to be read.
            if (_finishing) _deadline = DateTime.UtcNow + _idleTimeout;
            if (record.IsPartitionEOF) _readTo[record.TopicPartition] = record.Offset.Value;
            var readTo = record.IsPartitionEOF ? record.Offset.Value : record.Offset.Value + 1;
            if (remaining is not null && remaining.TryGetValue(record.TopicPartition, out var end) && readTo >= end)
                remaining.Remove(record.TopicPartition);
            if (!record.IsPartitionEOF) Decode(record.Topic, record.Message.Value);
        }
    }

    /// <summary>
    /// The end of each partition not yet read to its end (the position is where the next record would be read; past a
    /// commit marker only the partition's end-of-file says it was reached).
    /// </summary>
    private Dictionary<TopicPartition, long> Ends()
    {
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var tp in _partitions)
        {
            var marks = _consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
            var position = _consumer.Position(tp);
            var reached = Math.Max(position == Offset.Unset ? -1 : position.Value, _readTo.GetValueOrDefault(tp, -1));
            if (marks.High > marks.Low && reached < marks.High) ends[tp] = marks.High.Value;
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
