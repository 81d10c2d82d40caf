using System.Threading.Channels;
using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Host.Node;

namespace Engine.Host.Web;

/// <summary>One decision as read from its topic, for the live page: its kind and its JSON as Kafka holds it.</summary>
public sealed record LiveDecision(string Kind, string Json);

/// <summary>
/// Reads the decision topics as a storefront would (its own consumer, assigned every partition at the latest offset,
/// no group, nothing committed) and fans a sample out to the live pages: at most <see cref="PerKindPerSecond"/> of each
/// kind per second, so a browser keeps up with any engine rate. A slow page loses its oldest, never stalls the feed.
/// </summary>
public sealed class LiveFeed : IAsyncDisposable
{
    public const int PerKindPerSecond = 10;
    private readonly Dictionary<string, string> _kinds;
    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly IAdminClient _admin;
    private readonly List<Channel<LiveDecision>> _subscribers = [];
    private readonly Dictionary<string, long> _lastSent = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LiveFeed(string bootstrap, IReadOnlyDictionary<string, string> client, DecisionTopics topics)
    {
        _kinds = new()
        {
            [topics.Recommendations] = "recommendation", [topics.BidDecisions] = "bid", [topics.BidAdjustments] = "adjustment", [topics.ChurnAlerts] = "churn",
        };
        _admin = new AdminClientBuilder(new AdminClientConfig(client.ToDictionary()) { BootstrapServers = bootstrap }).SetLogHandler((_, _) => { }).Build();
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig(KafkaClientProperties.ForConsumer(client))
        {
            // librdkafka wants a group id even for assigned partitions; nothing is ever committed under it.
            BootstrapServers = bootstrap, GroupId = "engine-live-page", EnableAutoCommit = false, EnableAutoOffsetStore = false,
        }).SetLogHandler((_, _) => { }).Build();
        _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning);
    }

    public ChannelReader<LiveDecision> Subscribe()
    {
        var channel = Channel.CreateBounded<LiveDecision>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_subscribers) _subscribers.Add(channel);
        return channel.Reader;
    }

    public void Unsubscribe(ChannelReader<LiveDecision> reader)
    {
        lock (_subscribers) _subscribers.RemoveAll(c => c.Reader == reader);
    }

    /// <summary>How often the decision topics' partitions are looked up again (partitions added later are read too).</summary>
    private static readonly TimeSpan Reassign = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Reads until disposed. A Kafka error (a broker away at start, a refused read, a topic recreated) is waited out and the
    /// partitions assigned again: before 2026-12-06 the first one ended the feed for the node's life, silently, and the
    /// page showed no decisions as if none were made (review).
    /// </summary>
    private void Loop()
    {
        var assignedAt = DateTime.MinValue;
        string? lastError = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow - assignedAt > Reassign)
                {
                    AssignNewPartitions();
                    assignedAt = DateTime.UtcNow;
                }
                var result = _consumer.Consume(TimeSpan.FromMilliseconds(200));
                lastError = null;
                if (result?.Message is not { Value: { } value } || !_kinds.TryGetValue(result.Topic, out var kind) || !Due(kind)) continue;
                var decision = new LiveDecision(kind, System.Text.Encoding.UTF8.GetString(value));
                lock (_subscribers)
                    foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(decision);
            }
            catch (KafkaException e) when (!_stop.IsCancellationRequested)
            {
                if (e.Error.Reason != lastError) Console.Error.WriteLine($"live page: reading the decision topics failed ({e.Error.Reason}); trying again every 5 s");
                lastError = e.Error.Reason;
                assignedAt = DateTime.MinValue;
                _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(5));
            }
        }
    }

    /// <summary>Every partition of the decision topics, from its end (only those not assigned yet: the others keep their place).</summary>
    private void AssignNewPartitions()
    {
        var metadata = _admin.GetMetadata(TimeSpan.FromSeconds(10));
        var assigned = _consumer.Assignment.ToHashSet();
        var added = metadata.Topics.Where(t => _kinds.ContainsKey(t.Topic))
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)))
            .Where(tp => !assigned.Contains(tp))
            .Select(tp => new TopicPartitionOffset(tp, Offset.End)).ToList();
        if (added.Count > 0) _consumer.IncrementalAssign(added);
    }

    private bool Due(string kind)
    {
        var now = Environment.TickCount64;
        if (_lastSent.TryGetValue(kind, out var last) && now - last < 1000 / PerKindPerSecond) return false;
        _lastSent[kind] = now;
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (KafkaException) { /* the brokers went first: nothing to read any more */ }
        _consumer.Dispose();
        _admin.Dispose();
        _stop.Dispose();
    }
}
