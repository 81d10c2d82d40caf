using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confluent.Kafka;
using Engine.Actors.Campaigns;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Fairness;
using Engine.Models.Features;
using Engine.Models.Simulation;
using Engine.Testing;
using Engine.Testing.Features;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Host.Tests.EndToEnd;

/// <summary>
/// One engine node over the embedded Kafka and Garnet, fed through the real topics: shoppers browsing the simulated
/// shop's categories, two paced campaigns, a malformed record; then a replay of a partition.
/// </summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class EngineEndToEndTests(ITestOutputHelper output)
{
    private const int Partitions = 2;
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly SimulatedWorld Shop = new(new SimulatorOptions());
    private readonly List<ClickEvent> _log = [];
    private int _records;

    [Fact]
    public async Task Shoppers_get_their_category_campaigns_are_paced_silent_users_alerted_once_bad_records_dead_lettered_and_a_replay_changes_no_feature()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var infrastructure = await Infrastructure.StartAsync(null, null, Partitions);
        var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
        var models = DemoModels.Load(modelsDirectory);
        await CampaignBookings.PublishAsync(infrastructure.KafkaBootstrap, [Campaign("c-collapse"), Campaign("c-under")]);
        var settings = new EngineNodeSettings(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, modelsDirectory, Partitions, new ClusterSettings());

        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
            { BootstrapServers = infrastructure.KafkaBootstrap, Partitioner = Partitioner.Murmur2Random, EnableIdempotence = true }).Build();
        Browse(producer);
        Produce(producer, "shopper-0-0", "{\"schema_version\":1,\"event_id\":\"broken\""u8.ToArray()); // malformed, mid-stream
        Browse(producer, from: 8);
        // On plan (10 USD an hour of 240 a day), a click every 5 minutes for 6 hours, then no clicks at all for 2 hours.
        Deliver(producer, "c-collapse", "healthy", 0, 6 * 60, 10m / 60, clickEvery: 5);
        Deliver(producer, "c-collapse", "collapsed", 6 * 60, 8 * 60, 10m / 60, clickEvery: 0);
        Deliver(producer, "c-under", "under", 0, 3 * 60, 0.02m, clickEvery: 30); // 1.2 USD an hour of 10 planned
        // Churn is mostly silence: "quiet" users shop on day 0 and stop; "busy" ones, on every partition, keep coming for 10 days.
        var (quiet, busy) = (UsersOnEachPartition("quiet"), UsersOnEachPartition("busy"));
        var visits = quiet.SelectMany(u => Enumerable.Range(0, 6).Select(i => Visit(u, 0, i * 60)))
            .Concat(busy.SelectMany(u => Enumerable.Range(0, 11).SelectMany(day => Enumerable.Range(0, 3).Select(i => Visit(u, day, i)))));
        foreach (var visit in visits.OrderBy(e => e.EventTime)) Send(producer, visit);
        producer.Flush(TimeSpan.FromSeconds(10));

        var node = await EngineNode.StartAsync(settings, models, new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        var campaignEvents = _log.Count(e => e.CampaignId is not null);
        await Until(() => Committed(infrastructure, "engine", Topics.Clickstream) >= _records
                          && Committed(infrastructure, "engine-campaigns", Topics.CampaignEvents) >= campaignEvents, TimeSpan.FromSeconds(120));
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] {_records} records consumed and committed ({campaignEvents} re-keyed to campaigns)");

        // Shoppers who browse one category are recommended items of that category, each with a score and a reason.
        var recommendations = Read(infrastructure, Topics.Recommendations, EngineJson.Default.Recommendation);
        var lastPerShopper = recommendations.Where(r => r.UserId.StartsWith("shopper-", StringComparison.Ordinal))
            .GroupBy(r => r.UserId).ToDictionary(g => g.Key, g => g.Last());
        var inCategory = lastPerShopper.Count(r => r.Value.Items.Count(i => CategoryOf(i.ItemId) == CategoryOf(r.Key)) * 2 > r.Value.Items.Count);
        output.WriteLine($"{recommendations.Count} recommendations; {inCategory} of {lastPerShopper.Count} shoppers' latest lists mostly from their category");
        Assert.Equal(Shoppers, lastPerShopper.Count);
        Assert.True(inCategory >= Shoppers * 3 / 4, $"{inCategory} of {Shoppers} lists mostly from the shopper's category");
        Assert.All(lastPerShopper.Values.SelectMany(r => r.Items), i => Assert.False(string.IsNullOrEmpty(i.Reason)));

        // Fairness monitoring counted every page event as a chance for a recommendation, and every list it led to; a page event
        // that left its list to a later click of its session read with it (the node started behind: ListConflation) is none.
        var byRegion = node.Fairness.Report().Dimensions.Single(d => d is { Kind: DecisionKind.Recommendation, Dimension: FairnessMonitor.Region });
        var pageEvents = _log.Count(e => ListConflation.ListsAfter(e.Type));
        output.WriteLine($"{pageEvents} page events, {node.Decisions.ListsConflated} of them left their list to a later click read with them");
        Assert.Equal(pageEvents - node.Decisions.ListsConflated, byRegion.Segments.Sum(s => s.Opportunities));
        Assert.Equal(recommendations.Count, byRegion.Segments.Sum(s => s.Decisions));

        // The malformed record is dead-lettered with its reason, and its partition kept flowing (everything committed).
        var letter = Assert.Single(Read(infrastructure, Topics.DeadLetters, EngineJson.Default.DeadLetter));
        Assert.StartsWith("malformed", letter.Reason);

        // Pacing: the collapsed CTR lowers the multiplier, the under-spender's is raised.
        var adjustments = Read(infrastructure, Topics.BidAdjustments, EngineJson.Default.BidAdjustment);
        var healthy = adjustments.Last(a => a.CausedBy.StartsWith("c-collapse-healthy", StringComparison.Ordinal));
        var collapsed = adjustments.Last(a => a.CausedBy.StartsWith("c-collapse-collapsed", StringComparison.Ordinal));
        var under = adjustments.Last(a => a.CampaignId == "c-under");
        output.WriteLine($"c-collapse multiplier {healthy.Multiplier} while healthy, {collapsed.Multiplier} after the CTR collapse; c-under {under.Multiplier}");
        Assert.True(collapsed.Multiplier < healthy.Multiplier * 0.8);
        Assert.True(under.Multiplier > 1.5);

        // Users who went silent get exactly one churn alert each (from the sweeper, named by model version); the busy ones none.
        // The node keeps running meanwhile: its sweeper (one look a second) finds them by the partitions' event-time clocks.
        await Until(() => Read(infrastructure, Topics.ChurnAlerts, EngineJson.Default.ChurnAlert).Select(a => a.UserId).Intersect(quiet).Count() == quiet.Count,
            TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3)); // more sweeps: none may alert again
        await node.StopAsync();
        var alerts = Read(infrastructure, Topics.ChurnAlerts, EngineJson.Default.ChurnAlert);
        output.WriteLine($"churn alerts: {string.Join(", ", alerts.Select(a => $"{a.UserId} p={a.Probability:F2}"))}");
        Assert.All(quiet, u => Assert.Single(alerts, a => a.UserId == u));
        Assert.DoesNotContain(alerts, a => busy.Contains(a.UserId));
        Assert.All(alerts.GroupBy(a => a.UserId), g => Assert.Single(g));
        Assert.All(alerts, a => Assert.NotEmpty(a.Reasons));

        // Replay the clickstream from its start: no feature changes, and every decision re-emitted keeps its original id.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisEndpoint);
        var store = new FeatureStore(redis, new FeatureStoreOptions(), new FeatureMetrics());
        var before = await UserFeatures(store);
        var campaignsBefore = await CampaignFeatures(store);
        // A fresh consumer group reads every partition from its start (the mock broker cannot rewind an existing group's offsets).
        var replay = await EngineNode.StartAsync(settings with { GroupId = "engine-replay" }, models, new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        // Its user stream forwards every campaign event again, and its campaign stream reads them all, first run's and replay's.
        await Until(() => Committed(infrastructure, "engine-replay", Topics.Clickstream) >= _records
                          && Committed(infrastructure, "engine-replay-campaigns", Topics.CampaignEvents) >= 2 * campaignEvents, TimeSpan.FromSeconds(60));
        await replay.StopAsync();
        var after = await UserFeatures(store);
        var campaignsAfter = await CampaignFeatures(store);
        var replayed = Read(infrastructure, Topics.Recommendations, EngineJson.Default.Recommendation);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:F0} s] replay: {replay.UserCounters.Consumed} records re-read, {replayed.Count - recommendations.Count} recommendations re-emitted");
        Assert.True(replayed.Count > recommendations.Count, "the replay re-decided nothing");
        // Every session's latest list (no later click replaces it) goes out again, under its click's id as every list; which of the
        // earlier clicks get a list of their own depends on what each run read together.
        var latestClicks = _log.Where(e => ListConflation.ListsAfter(e.Type)).GroupBy(e => (e.UserId, e.SessionId)).Select(g => g.Last().EventId).ToList();
        // What the replay added, id by id (the topic's partitions interleave differently on each read, so not its tail).
        var firstRun = recommendations.CountBy(r => r.DecisionId).ToDictionary();
        var replayedIds = replayed.CountBy(r => r.DecisionId).Where(n => n.Value > firstRun.GetValueOrDefault(n.Key)).Select(n => n.Key).ToHashSet();
        Assert.All(latestClicks, click => Assert.Contains(DecisionIds.Derive("recommendation", click), replayedIds));
        Assert.All(replayed, r => Assert.Equal(DecisionIds.Derive("recommendation", r.CausedBy), r.DecisionId));
        foreach (var (user, vector) in before) Assert.Equal(vector, after[user]);
        var impressions = FeatureNames.Campaign.ToList().IndexOf("impressions_24h");
        output.WriteLine("campaigns' 24 h impressions before / after the replay: " +
                         string.Join(", ", campaignsBefore.Select(c => $"{c.Key} {c.Value[impressions]} / {campaignsAfter[c.Key][impressions]}")));
        foreach (var (campaign, vector) in campaignsBefore) Assert.Equal(vector, campaignsAfter[campaign]);
    }

    private const int Shoppers = 12, ViewsPerShopper = 16;

    /// <summary>Two users per partition, so every partition's event-time clock moves (the sweeper reads it).</summary>
    private static List<string> UsersOnEachPartition(string prefix) =>
        Enumerable.Range(0, 100).Select(i => $"{prefix}-{i}").GroupBy(u => Engine.Models.Routing.KafkaPartitioner.Partition(u, Partitions))
            .SelectMany(g => g.Take(2)).ToList();

    private static ClickEvent Visit(string user, int day, int minute) => new()
    {
        EventId = $"{user}-{day}-{minute}", EventTime = T0.AddDays(day).AddMinutes(minute), UserId = user, SessionId = $"{user}-s{day}",
        Type = EventType.ProductView, ItemId = SimulatedWorld.ItemId(minute % 40), Category = Shop.Categories[minute % 40 % Shop.Categories.Count],
    };

    /// <summary>Shopper n of category c views items of category c only (the simulated shop's catalogue), one a minute.</summary>
    private void Browse(IProducer<byte[], byte[]> producer, int from = 0)
    {
        for (var step = from; step < (from == 0 ? 8 : ViewsPerShopper); step++)
            for (var s = 0; s < Shoppers; s++)
            {
                var category = s % 4;
                var item = category + Shop.Categories.Count * ((s * 7 + step) % 50);
                Send(producer, new ClickEvent
                {
                    EventId = $"shopper-{s}-{step}", EventTime = T0.AddMinutes(step), UserId = $"shopper-{category}-{s}", SessionId = $"session-{s}",
                    Type = EventType.ProductView, ItemId = SimulatedWorld.ItemId(item), Category = Shop.Categories[category],
                });
            }
    }

    /// <summary>One impression a minute at a price, a click every few minutes; from the exchange's user "ads".</summary>
    private void Deliver(IProducer<byte[], byte[]> producer, string campaign, string phase, int fromMinute, int toMinute, decimal price, int clickEvery)
    {
        for (var minute = fromMinute; minute < toMinute; minute++)
        {
            Send(producer, Ad(EventType.AdImpression, minute, price));
            if (clickEvery > 0 && minute % clickEvery == 0) Send(producer, Ad(EventType.AdClick, minute, null));
        }

        ClickEvent Ad(EventType type, int minute, decimal? p) => new()
        {
            EventId = $"{campaign}-{phase}-{type}-{minute}", EventTime = T0.AddMinutes(minute).AddSeconds(type == EventType.AdClick ? 5 : 0),
            UserId = "ads-" + campaign, Type = type, CampaignId = campaign, Price = p,
        };
    }

    private void Send(IProducer<byte[], byte[]> producer, ClickEvent e)
    {
        _log.Add(e);
        Produce(producer, e.UserId, ClickEventCodec.Encode(e));
    }

    private void Produce(IProducer<byte[], byte[]> producer, string key, byte[] value)
    {
        producer.Produce(Topics.Clickstream, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value });
        _records++;
    }

    private static int CategoryOf(string itemOrShopper) => itemOrShopper.StartsWith("shopper-", StringComparison.Ordinal)
        ? int.Parse(itemOrShopper.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture)
        : int.Parse(itemOrShopper[2..], System.Globalization.CultureInfo.InvariantCulture) % Shop.Categories.Count;

    private static CampaignSpec Campaign(string id) => new()
    {
        CampaignId = id, Budget = 240m, FlightStart = T0, FlightEnd = T0.AddDays(1), ValuePerClick = 1m, ValuePerConversion = 10m, MaxCpm = 20m,
    };

    private async Task<Dictionary<string, float[]>> UserFeatures(FeatureStore store)
    {
        var vectors = new Dictionary<string, float[]>();
        foreach (var user in _log.Select(e => e.UserId).Distinct())
        {
            var state = await store.LoadUserAsync(user);
            vectors[user] = FeatureAssert.Read(Engine.Models.Features.UserFeatures.All, state, T0.AddDays(1).ToUnixTimeMilliseconds());
        }
        return vectors;
    }

    /// <summary>Each campaign's delivery vector, with its total spend last.</summary>
    private async Task<Dictionary<string, float[]>> CampaignFeatures(FeatureStore store)
    {
        var vectors = new Dictionary<string, float[]>();
        foreach (var campaign in _log.Select(e => e.CampaignId).OfType<string>().Distinct())
        {
            var state = await store.LoadCampaignAsync(campaign);
            vectors[campaign] = [.. FeatureAssert.Read(Engine.Models.Features.CampaignFeatures.All, state, T0.AddDays(1).ToUnixTimeMilliseconds()), (float)state.SpentTotal];
        }
        return vectors;
    }

    private static long Committed(Infrastructure infrastructure, string group, string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = infrastructure.KafkaBootstrap, GroupId = group }).Build();
        return consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .Sum(c => c.Offset.Value < 0 ? 0 : c.Offset.Value);
    }

    private static List<T> Read<T>(Infrastructure infrastructure, string topic, JsonTypeInfo<T> type)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            { BootstrapServers = infrastructure.KafkaBootstrap, GroupId = "reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false }).Build();
        var ends = Enumerable.Range(0, Partitions).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value).ToArray();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new List<T>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (values.Count < ends.Sum() && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message is { } message)
                values.Add(JsonSerializer.Deserialize(message.Value, type)!);
        return values;
    }

    private static async Task Until(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached in " + timeout);
            await Task.Delay(200);
        }
    }
}
