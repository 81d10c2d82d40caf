using System.Text.Json;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Decisions;

namespace Engine.Actors.Campaigns;

/// <summary>Where the campaign feed reads: the compacted bookings topic and the bid-adjustments topic.</summary>
/// <param name="ClientConfig">librdkafka properties passed through as is (SASL/SSL); never logged.</param>
/// <param name="Refused">Hears each record refused (a line naming its topic, offset and why: the node logs it as a warning).</param>
public sealed record CampaignFeedSettings(
    string BootstrapServers,
    IReadOnlyDictionary<string, string>? ClientConfig = null,
    string CampaignsTopic = Topics.Campaigns,
    string AdjustmentsTopic = Topics.BidAdjustments,
    Action<string>? Refused = null);

/// <summary>
/// Every node's view of every campaign: reads the compacted campaigns topic (specs, key = campaign id) into the
/// catalog and the board, and the bid adjustments of all campaign actors, wherever they live, into the board's
/// multipliers and delivery, so a bid on any node prices with the live pacing. A plain consumer assigned to all
/// partitions from the beginning, with no group and no commits: each node reads everything, and a restart
/// rebuilds the view from the topics (compaction keeps the bookings topic small).
/// </summary>
public sealed class CampaignFeed : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private long _specs, _adjustments, _refused;
    // Far beyond any real booking, and far below what would overflow a decimal price or spend.
    private const decimal MaxValue = ClickEventValidator.MaxPrice, MaxBudget = 1_000_000_000_000m;
    private const double MaxMultiplier = 100;

    private CampaignFeed(CampaignFeedSettings settings, CampaignCatalog catalog, CampaignBoard board)
    {
        var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig(settings.ClientConfig?.ToDictionary() ?? [])
        {
            BootstrapServers = settings.BootstrapServers,
            GroupId = "engine-campaign-feed", // required by the client; never joined (assign) and never committed
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            // The end of a partition is not always one past a record: a transaction's commit marker, or a compacted-away
            // tombstone, holds the last offset. Reaching the end (EOF) is what caught up means.
            EnablePartitionEof = true,
        }).Build();
        Dictionary<TopicPartition, long> ends;
        try
        {
            ends = EndOffsets(consumer, settings, [settings.CampaignsTopic, settings.AdjustmentsTopic]);
        }
        catch
        {
            consumer.Dispose(); // Kafka did not answer at start: the node stops, and so does this client's thread
            throw;
        }
        board.CatchingUp();
        _caughtUp.Task.ContinueWith(_ => board.CaughtUp(), TaskScheduler.Default);
        consumer.Assign(ends.Keys.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        _loop = Task.Factory.StartNew(() => Run(consumer, settings, catalog, board, ends), TaskCreationOptions.LongRunning);
    }

    public long SpecsRead => Interlocked.Read(ref _specs);
    public long AdjustmentsRead => Interlocked.Read(ref _adjustments);
    /// <summary>Records that were not a valid spec or adjustment (skipped, counted).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>
    /// Every booking and adjustment on the topics at start-up has been read. Until then the board says so and the node
    /// bids for no campaign (it may not know yet that another node saw a budget exhausted), and it reports not ready.
    /// </summary>
    public bool CaughtUp => _caughtUp.Task.IsCompleted;

    /// <summary>Starts reading and returns once everything on both topics at start-up has been applied (or the timeout passed).</summary>
    /// <exception cref="OperationCanceledException">A stop was asked for meanwhile: the feed is closed. Returned instead (before
    /// 2026-12-07), it started a node that joined its consumer groups only to leave them at once: two rebalances for every node.</exception>
    public static async Task<CampaignFeed> StartAsync(CampaignFeedSettings settings, CampaignCatalog catalog, CampaignBoard board,
        TimeSpan catchUpTimeout, CancellationToken cancellationToken)
    {
        var feed = new CampaignFeed(settings, catalog, board);
        await Task.WhenAny(feed._caughtUp.Task, feed._loop, Task.Delay(catchUpTimeout, cancellationToken));
        if (feed._loop.IsFaulted) await feed._loop; // a broken configuration: say so at start-up
        if (cancellationToken.IsCancellationRequested)
        {
            await feed.DisposeAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
        return feed;
    }

    /// <summary>
    /// The last offset of every partition of the topics at start-up: caught up once each has been read. Both topics must be
    /// there: one missing or refused (just created and not yet in the metadata, no read right on a renamed one) was left
    /// out, and the node reported itself caught up without the bookings or without other nodes' exhaustions (and bid on).
    /// </summary>
    /// <exception cref="KafkaException">A topic is still missing or refused after 10 s: its error, and which.</exception>
    private static Dictionary<TopicPartition, long> EndOffsets(IConsumer<byte[], byte[]> consumer, CampaignFeedSettings settings, string[] topics)
    {
        using var admin = new WatchedAdminClient(new AdminClientConfig(settings.ClientConfig?.ToDictionary() ?? [])
            { BootstrapServers = settings.BootstrapServers });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        for (var unreadable = Unreadable(metadata, topics); unreadable.Count > 0; unreadable = Unreadable(metadata, topics))
        {
            if (DateTime.UtcNow > deadline)
                throw new KafkaException(new Error(unreadable[0].Code,
                    $"the campaign feed cannot read {string.Join(", ", unreadable.Select(u => $"{u.Topic} ({u.Code})"))}: create it, or allow this node to read it"));
            Thread.Sleep(500);
            metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        }
        return metadata.Topics.Where(t => topics.Contains(t.Topic) && t.Error.Code == ErrorCode.NoError)
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId)))
            .Select(tp => (tp, Marks: consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10))))
            .ToDictionary(p => p.tp, p => p.Marks.High.Value > p.Marks.Low.Value ? p.Marks.High.Value : 0); // 0: nothing to read
    }

    private static List<(string Topic, ErrorCode Code)> Unreadable(Metadata metadata, string[] topics) =>
        [.. topics.Select(topic => (Topic: topic, Code: metadata.Topics.FirstOrDefault(t => t.Topic == topic) is { } found
                ? found.Error.Code == ErrorCode.NoError && found.Partitions.Count == 0 ? ErrorCode.UnknownTopicOrPart : found.Error.Code
                : ErrorCode.UnknownTopicOrPart))
            .Where(t => t.Code != ErrorCode.NoError)];

    private void Run(IConsumer<byte[], byte[]> consumer, CampaignFeedSettings settings, CampaignCatalog catalog, CampaignBoard board,
        Dictionary<TopicPartition, long> ends)
    {
        using var _ = consumer;
        var behind = ends.Where(e => e.Value > 0).ToDictionary();
        if (behind.Count == 0) _caughtUp.TrySetResult();
        while (!_stop.IsCancellationRequested)
        {
            ConsumeResult<byte[], byte[]>? result;
            try
            {
                result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException)
            {
                continue; // a transient broker error: librdkafka recovers, the feed keeps its position
            }
            if (result is { IsPartitionEOF: true })
            {
                // At the partition's end now, which is at or past its end at start-up.
                if (behind.Remove(result.TopicPartition) && behind.Count == 0) _caughtUp.TrySetResult();
                continue;
            }
            if (result?.Message is not { } message) continue;
            if (Apply(result.Topic == settings.CampaignsTopic, message.Value, catalog, board) is { } why)
            {
                Interlocked.Increment(ref _refused);
                settings.Refused?.Invoke($"refused {result.TopicPartitionOffset}: {why}; skipped (the campaign is not booked or adjusted by it)");
            }
            if (behind.Remove(result.TopicPartition, out var end) && result.Offset.Value + 1 < end) behind[result.TopicPartition] = end;
            if (behind.Count == 0) _caughtUp.TrySetResult();
        }
        consumer.Close();
    }

    /// <summary>Applies a booking or an adjustment; returns why it was refused, or null.</summary>
    private string? Apply(bool isSpec, byte[]? value, CampaignCatalog catalog, CampaignBoard board)
    {
        if (value is null) return null; // a tombstone: campaigns end with their flight, not by deletion
        try
        {
            if (isSpec && JsonSerializer.Deserialize(value, EngineJson.Default.CampaignSpec) is { } spec)
            {
                // Terms no pacing can follow (no id, a negative budget, a flight that ends before it starts, values out of any
                // real range that would overflow a price): refused and counted.
                if (string.IsNullOrWhiteSpace(spec.CampaignId) || spec.Budget < 0 || spec.FlightEnd <= spec.FlightStart || spec.MaxCpm < 0
                    || spec.ValuePerClick is < 0 or > MaxValue || spec.ValuePerConversion is < 0 or > MaxValue || spec.MaxCpm > MaxValue || spec.Budget > MaxBudget)
                    return $"booking of campaign '{spec.CampaignId}' refused: its terms are out of range (an empty id, a negative or absurd budget or value, " +
                           "a flight that ends before it starts)";
                // The board first: a campaign actor publishes its view under the board's booking (CampaignBoard.Publish), so one
                // that read the catalog meanwhile is rebooked forward, never back to terms the board has already replaced.
                board.Book(spec);
                catalog.Put(spec);
                Interlocked.Increment(ref _specs);
                return null;
            }
            if (!isSpec && JsonSerializer.Deserialize(value, EngineJson.Default.BidAdjustment) is { } adjustment)
            {
                if (string.IsNullOrWhiteSpace(adjustment.CampaignId) || !double.IsFinite(adjustment.Multiplier) || adjustment.Multiplier is < 0 or > MaxMultiplier)
                    return $"bid adjustment of campaign '{adjustment.CampaignId}' refused: its multiplier is not between 0 and {MaxMultiplier}";
                board.Adjust(adjustment);
                Interlocked.Increment(ref _adjustments);
                return null;
            }
            return "the record is JSON null";
        }
        // Any record the board cannot take is skipped and counted: one bad record on a compacted topic stays there, and letting
        // it end the feed stopped every node at start (or, later, froze the board while the node went on bidding).
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return $"not a valid {(isSpec ? "campaign booking" : "bid adjustment")}: {e.Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
