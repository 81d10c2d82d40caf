using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Engine.Actors.Campaigns;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Testing.Kafka;

namespace Engine.Actors.Tests.Campaigns;

/// <summary>Every node's view of the campaigns, read from the bookings and bid-adjustments topics over the real protocol.</summary>
public sealed class CampaignFeedTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Bookings_and_adjustments_on_the_topics_reach_the_catalog_and_the_board()
    {
        var (campaigns, adjustments) = (KafkaFixture.UniqueTopic("campaigns"), KafkaFixture.UniqueTopic("adjustments"));
        await kafka.CreateTopicAsync(campaigns, 3);
        await kafka.CreateTopicAsync(adjustments, 3);
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        await Produce(producer, campaigns, "c-1", JsonSerializer.SerializeToUtf8Bytes(Spec("c-1", 100m), EngineJson.Default.CampaignSpec));
        await Produce(producer, campaigns, "c-2", JsonSerializer.SerializeToUtf8Bytes(Spec("c-2", 100m), EngineJson.Default.CampaignSpec));
        await Produce(producer, campaigns, "c-1", JsonSerializer.SerializeToUtf8Bytes(Spec("c-1", 500m), EngineJson.Default.CampaignSpec)); // re-booked
        await Produce(producer, campaigns, "c-3", "not json"u8.ToArray());
        // JSON that parses (a required property may be null) but names no campaign: it ended the feed, and every node's start.
        await Produce(producer, campaigns, "c-4", """{"campaign_id":null,"budget":10,"flight_start":"2026-03-01T00:00:00Z","flight_end":"2026-03-02T00:00:00Z","value_per_click":1}"""u8.ToArray());
        // A flight without its UTC offset: each node would read it in its own time zone.
        await Produce(producer, campaigns, "c-5", """{"campaign_id":"c-5","budget":10,"flight_start":"2026-03-01T00:00:00","flight_end":"2026-03-02T00:00:00Z","value_per_click":1}"""u8.ToArray());
        await Produce(producer, adjustments, "c-4", """{"decision_id":"d","caused_by":"e","decided_at":"2026-03-01T00:00:00Z","model_version":"m","reasons":[],"campaign_id":null,"multiplier":1}"""u8.ToArray());
        await Produce(producer, adjustments, "c-2", JsonSerializer.SerializeToUtf8Bytes(Adjustment("c-2", 1.7, exhausted: false), EngineJson.Default.BidAdjustment));

        var (catalog, board) = (new CampaignCatalog(), new CampaignBoard());
        var refusals = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var feed = await CampaignFeed.StartAsync(new CampaignFeedSettings(kafka.BootstrapServers, null, campaigns, adjustments, refusals.Enqueue),
            catalog, board, TimeSpan.FromSeconds(30), CancellationToken.None);

        // Caught up before StartAsync returns: a node starts its pipelines knowing every booked campaign (and says so: /readyz).
        Assert.True(feed.CaughtUp);
        Assert.True(catalog.TryGet("c-1", out var c1) && c1.Budget == 500m);
        Assert.True(board.TryGet("c-1", out var s1) && s1.Multiplier == 1.0 && s1.BudgetLeft);
        Assert.True(board.TryGet("c-2", out var s2) && s2.Multiplier == 1.7 && s2.Impressions24h == 1000);
        Assert.False(catalog.TryGet("c-3", out _));
        Assert.False(catalog.TryGet("c-5", out _));
        Assert.Equal(4, feed.Refused);
        // Each said where and why, which the node logs as a warning (before 2026-12-07 only counted, and the count exported nowhere).
        Assert.Equal(4, refusals.Count);
        Assert.Equal(2, refusals.Count(r => r.StartsWith("refused " + campaigns, StringComparison.Ordinal) && r.Contains("not a valid campaign booking", StringComparison.Ordinal)));
        Assert.Single(refusals, r => r.StartsWith("refused " + campaigns, StringComparison.Ordinal) && r.Contains("booking of campaign '' refused", StringComparison.Ordinal));
        Assert.Single(refusals, r => r.StartsWith("refused " + adjustments, StringComparison.Ordinal) && r.Contains("not a valid bid adjustment", StringComparison.Ordinal));
        Assert.Single(refusals, r => r.Contains("has no UTC offset", StringComparison.Ordinal));

        // Live: an adjustment from a campaign actor on any node moves this node's board.
        await Produce(producer, adjustments, "c-1", JsonSerializer.SerializeToUtf8Bytes(Adjustment("c-1", 0, exhausted: true), EngineJson.Default.BidAdjustment));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && board.TryGet("c-1", out var live) && live.BudgetLeft) await Task.Delay(50);
        Assert.True(board.TryGet("c-1", out var exhausted));
        Assert.False(exhausted.BudgetLeft);
        Assert.Equal(0.0, exhausted.Multiplier);
        Assert.Equal(500m, exhausted.Spec.Budget);
    }

    /// <summary>
    /// Bookings written in a transaction (an exactly-once booking pipeline) end with a commit marker: the partition's end
    /// is one past it, and no record the feed reads has that offset. Caught up was "the last record read is the end's
    /// predecessor", never true there: every node answered every bid request "campaigns loading" and was not ready until a
    /// new booking landed. The feed now also takes the end of a partition (its EOF) as caught up.
    /// </summary>
    [Fact]
    public async Task A_feed_whose_adjustments_topic_is_missing_says_so_instead_of_reporting_itself_caught_up()
    {
        // Before 2026-12-06 the missing topic was left out: the feed reported itself caught up, and the node bid on without
        // ever hearing of other nodes' exhausted budgets.
        var (campaigns, adjustments) = (KafkaFixture.UniqueTopic("campaigns"), KafkaFixture.UniqueTopic("adjustments-missing"));
        await kafka.CreateTopicAsync(campaigns, 3);
        var error = await Assert.ThrowsAsync<KafkaException>(() => CampaignFeed.StartAsync(
            new CampaignFeedSettings(kafka.BootstrapServers, null, campaigns, adjustments), new CampaignCatalog(), new CampaignBoard(),
            TimeSpan.FromSeconds(30), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"cannot read {adjustments}", error.Message);
        Assert.DoesNotContain(campaigns, error.Message);
    }

    [Fact]
    public async Task A_stop_asked_for_while_the_feed_catches_up_ends_the_start_instead_of_returning_a_feed()
    {
        var (campaigns, adjustments) = (KafkaFixture.UniqueTopic("campaigns-stop"), KafkaFixture.UniqueTopic("adjustments-stop"));
        await kafka.CreateTopicAsync(campaigns, 1);
        await kafka.CreateTopicAsync(adjustments, 1);
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();

        // Returned, the feed let the node start consuming (joining its groups) only to stop at once.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CampaignFeed.StartAsync(
            new CampaignFeedSettings(kafka.BootstrapServers, null, campaigns, adjustments), new CampaignCatalog(), new CampaignBoard(),
            TimeSpan.FromSeconds(30), stop.Token).WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Bookings_written_in_a_transaction_are_caught_up_with()
    {
        var (campaigns, adjustments) = (KafkaFixture.UniqueTopic("campaigns-txn"), KafkaFixture.UniqueTopic("adjustments-txn"));
        await kafka.CreateTopicAsync(campaigns, 1);
        await kafka.CreateTopicAsync(adjustments, 1);
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
               { BootstrapServers = kafka.BootstrapServers, TransactionalId = "bookings-" + Guid.NewGuid().ToString("N") }).Build())
        {
            producer.InitTransactions(TimeSpan.FromSeconds(30));
            producer.BeginTransaction();
            await Produce(producer, campaigns, "c-txn", JsonSerializer.SerializeToUtf8Bytes(Spec("c-txn", 100m), EngineJson.Default.CampaignSpec));
            producer.CommitTransaction(TimeSpan.FromSeconds(30));
        }

        var catalog = new CampaignCatalog();
        await using var feed = await CampaignFeed.StartAsync(new CampaignFeedSettings(kafka.BootstrapServers, null, campaigns, adjustments),
            catalog, new CampaignBoard(), TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.True(catalog.TryGet("c-txn", out _));
        Assert.True(feed.CaughtUp);
    }

    private static Task Produce(IProducer<byte[], byte[]> producer, string topic, string key, byte[] value) =>
        producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value });

    private static CampaignSpec Spec(string id, decimal budget) =>
        new() { CampaignId = id, Budget = budget, FlightStart = T0, FlightEnd = T0.AddDays(1), ValuePerClick = 1m };

    private static BidAdjustment Adjustment(string id, double multiplier, bool exhausted) => new()
    {
        DecisionId = "d-" + id, CausedBy = "e-1", DecidedAt = T0, ModelVersion = CampaignPacer.Version, Reasons = [], CampaignId = id,
        Multiplier = multiplier, PreviousMultiplier = 1.0, Ctr24h = 0.02, Impressions24h = 1000, Clicks24h = 20, Cvr24h = 0.04, BudgetExhausted = exhausted,
        SpentTotal = exhausted ? 500m : 40m, // an exhausted campaign has spent its budget (500 for c-1)
    };
}
