using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Event;
using Confluent.Kafka;
using Engine.Actors.Campaigns;
using Engine.Actors.Features;
using Engine.Actors.Users;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Host.Privacy;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Privacy;
using Engine.Models.Routing;
using Engine.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Host.Tests.EndToEnd;

/// <summary>
/// Privacy through one engine node on the embedded Kafka and Garnet, with a configured pseudonym key: a user opts out
/// before shopping, another is erased after shopping; then the partitions' clocks move ten days on, so the sweeper would
/// alert both had the engine kept them. Logs are captured at Info level for the whole run.
/// </summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class PrivacyEndToEndTests(ITestOutputHelper output)
{
    private const int Partitions = 2;
    private const string Erased = "erase-me", OptedOut = "opt-out", Shopper = "shopper-1";
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private readonly List<ClickEvent> _log = [];

    [Fact]
    public async Task An_erased_user_leaves_no_key_and_no_later_decision_an_opted_out_user_gets_only_non_personal_ones_and_no_key_or_log_names_a_user()
    {
        await using var infrastructure = await Infrastructure.StartAsync(null, null, Partitions);
        var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
        await CampaignBookings.PublishAsync(infrastructure.KafkaBootstrap, [Campaign("c-1")]);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var settings = new EngineNodeSettings(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, modelsDirectory, Partitions, new ClusterSettings(),
            PseudonymKey: key);
        var node = await EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        var logs = CaptureLogs(node.System);
        var requests = new PrivacyRequests(infrastructure.KafkaBootstrap);
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
            { BootstrapServers = infrastructure.KafkaBootstrap, Partitioner = Confluent.Kafka.Partitioner.Murmur2Random, EnableIdempotence = true }).Build();

        // Opt-out first: every decision about this user, from their first event on, must be non-personal.
        var consentAck = await requests.SendAsync(new PrivacyRequest
            { Type = PrivacyRequestTypes.Consent, RequestId = "consent-1", UserId = OptedOut, Personalisation = false, AdTargeting = false },
            TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal((false, false), (consentAck?.Personalisation, consentAck?.AdTargeting));

        // Day 0: everyone shops for a few hours (quiet users on every partition, to know when the sweeper has looked).
        var quiet = UsersOnEachPartition("quiet");
        foreach (var user in quiet.Append(Erased).Append(OptedOut).Append(Shopper))
            for (var i = 0; i < 5; i++) Send(producer, View(user, 0, i * 30));
        for (var i = 0; i < 3; i++) Send(producer, Bid(OptedOut, 0, 200 + i));
        producer.Flush(TimeSpan.FromSeconds(10));
        await Until(() => Committed(infrastructure, Topics.Clickstream) >= _log.Count, TimeSpan.FromSeconds(90));

        var ack = await requests.SendAsync(new PrivacyRequest { Type = PrivacyRequestTypes.Erase, RequestId = "erase-1", UserId = Erased },
            TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.NotNull(ack);
        output.WriteLine($"erasure acknowledged: removed {string.Join(", ", ack.Removed)}");
        Assert.Superset(new HashSet<string> { "features", "churn_due", "actor_state" }, ack.Removed.ToHashSet());
        var decisionTopics = new[] { Topics.Recommendations, Topics.BidDecisions, Topics.ChurnAlerts };
        var endsAtErasure = decisionTopics.ToDictionary(t => t, t => Ends(infrastructure, t));

        // Ten busy days on every partition: the clocks pass every quiet user's silence, so the sweeper checks them.
        var busy = UsersOnEachPartition("busy");
        foreach (var day in Enumerable.Range(1, 10))
            foreach (var user in busy)
                Send(producer, View(user, day, 0));
        Send(producer, View(OptedOut, 10, 1));
        Send(producer, Bid(OptedOut, 10, 2));
        producer.Flush(TimeSpan.FromSeconds(10));
        await Until(() => Read(infrastructure, Topics.ChurnAlerts, EngineJson.Default.ChurnAlert).Select(a => a.UserId).Intersect(quiet).Count() == quiet.Count,
            TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(3)); // more sweeps

        // No key of the erased user, and no key names any user (SCAN of the whole database); every key expires.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisEndpoint);
        var keys = redis.GetServers().Single().Keys(pattern: "*").Select(k => k.ToString()).ToList();
        var pseudonym = new Pseudonymizer(Convert.FromBase64String(key)).Pseudonym(Erased);
        var users = _log.Select(e => e.UserId).Distinct().ToList();
        output.WriteLine($"{keys.Count} keys after the run, e.g. {string.Join(", ", keys.Take(5))}");
        Assert.DoesNotContain(keys, k => k.Contains(pseudonym, StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => users.Any(u => k.Contains(u, StringComparison.Ordinal)));
        Assert.Contains(keys, k => k.Contains(new Pseudonymizer(Convert.FromBase64String(key)).Pseudonym(Shopper), StringComparison.Ordinal));
        foreach (var k in keys) Assert.True(await redis.GetDatabase().KeyTimeToLiveAsync(k) is not null, $"{k} has no TTL");
        var dueList = new ChurnDueList(redis, "engine:churn:", UserIdSealer.FromBase64(key));
        var due = (await Task.WhenAll(Enumerable.Range(0, Partitions).Select(p => dueList.DueAsync(p, long.MaxValue, 10_000)))).SelectMany(d => d).ToList();
        Assert.DoesNotContain(Erased, due);
        Assert.Contains(busy[0], due);
        var members = keys.Where(k => k.Contains(":due:", StringComparison.Ordinal))
            .SelectMany(k => redis.GetDatabase().SortedSetRangeByRank(k)).Select(m => m.ToString()).ToList();
        Assert.DoesNotContain(members, m => users.Any(u => m.Contains(u, StringComparison.Ordinal)));

        // No decision after the erasure names the erased user (the sweeper would have alerted them); none alerted them at all.
        foreach (var topic in decisionTopics)
            Assert.DoesNotContain(ReadFrom(infrastructure, topic, endsAtErasure[topic]), json => json.Contains($"\"user_id\":\"{Erased}\"", StringComparison.Ordinal));
        var alerts = Read(infrastructure, Topics.ChurnAlerts, EngineJson.Default.ChurnAlert);
        Assert.DoesNotContain(alerts, a => a.UserId == Erased);

        // The opted-out user: only the popular list, marked non-personal; no bid for lack of consent; no churn alert.
        var optedOutLists = Read(infrastructure, Topics.Recommendations, EngineJson.Default.Recommendation).Where(r => r.UserId == OptedOut).ToList();
        var optedOutBids = Read(infrastructure, Topics.BidDecisions, EngineJson.Default.BidDecision).Where(b => b.UserId == OptedOut).ToList();
        output.WriteLine($"opted-out user: {optedOutLists.Count} lists, {optedOutBids.Count} bid answers; {alerts.Count} churn alerts in all");
        Assert.NotEmpty(optedOutLists);
        Assert.All(optedOutLists, r => Assert.Equal(NonPersonalDecisions.Factor, Assert.Single(r.Reasons).Factor));
        Assert.Equal(4, optedOutBids.Count);
        Assert.All(optedOutBids, b => Assert.Equal((false, NoBidReason.NoConsent), (b.Bid, b.Nbr)));
        Assert.DoesNotContain(alerts, a => a.UserId == OptedOut);
        var shopperList = Read(infrastructure, Topics.Recommendations, EngineJson.Default.Recommendation).Last(r => r.UserId == Shopper);
        Assert.DoesNotContain(shopperList.Reasons, r => r.Factor == NonPersonalDecisions.Factor);

        await node.StopAsync();
        var captured = logs.ToList();
        output.WriteLine($"{captured.Count} log lines captured, e.g. {captured.FirstOrDefault()}");
        Assert.Contains(captured, l => l.Contains("erase-1", StringComparison.Ordinal)); // the capture works: the erasure's line is there
        Assert.DoesNotContain(captured, l => users.Any(u => l.Contains(u, StringComparison.Ordinal)));
    }

    /// <summary>Everything the node's actor system logs from Info up, from here on.</summary>
    private static ConcurrentQueue<string> CaptureLogs(ActorSystem system)
    {
        var lines = new ConcurrentQueue<string>();
        var capture = system.ActorOf(Props.Create(() => new LogCapture(lines)), "log-capture");
        system.EventStream.Subscribe(capture, typeof(LogEvent));
        system.EventStream.SetLogLevel(LogLevel.InfoLevel);
        return lines;
    }

    private sealed class LogCapture : ReceiveActor
    {
        public LogCapture(ConcurrentQueue<string> lines) => Receive<LogEvent>(e => lines.Enqueue(e.ToString()));
    }

    private static List<string> UsersOnEachPartition(string prefix) =>
        Enumerable.Range(0, 100).Select(i => $"{prefix}-{i}").GroupBy(u => KafkaPartitioner.Partition(u, Partitions)).SelectMany(g => g.Take(1)).ToList();

    private static ClickEvent View(string user, int day, int minute) => new()
    {
        EventId = $"{user}-{day}-{minute}", EventTime = T0.AddDays(day).AddMinutes(minute), UserId = user, SessionId = $"{user}-s{day}",
        Type = EventType.ProductView, ItemId = $"it{minute % 40}", Category = "shoes",
    };

    private static ClickEvent Bid(string user, int day, int minute) => new()
    {
        EventId = $"{user}-bid-{day}-{minute}", EventTime = T0.AddDays(day).AddMinutes(minute), UserId = user, Type = EventType.BidRequest,
        BidRequest = new BidRequest { Id = $"br-{user}-{day}-{minute}", Imp = [new Impression { Id = "1", BidFloor = 0.01m }], CandidateCampaigns = ["c-1"], Tmax = 60_000 },
    };

    private static CampaignSpec Campaign(string id) => new()
    {
        CampaignId = id, Budget = 240m, FlightStart = T0, FlightEnd = T0.AddDays(30), ValuePerClick = 1m, ValuePerConversion = 10m, MaxCpm = 20m,
    };

    private void Send(IProducer<byte[], byte[]> producer, ClickEvent e)
    {
        _log.Add(e);
        producer.Produce(Topics.Clickstream, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(e.UserId), Value = ClickEventCodec.Encode(e) });
    }

    private static long Committed(Infrastructure infrastructure, string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = infrastructure.KafkaBootstrap, GroupId = "engine" }).Build();
        return consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .Sum(c => c.Offset.Value < 0 ? 0 : c.Offset.Value);
    }

    private static long[] Ends(Infrastructure infrastructure, string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = infrastructure.KafkaBootstrap, GroupId = "ends" }).Build();
        return [.. Enumerable.Range(0, Partitions).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value)];
    }

    private static List<T> Read<T>(Infrastructure infrastructure, string topic, JsonTypeInfo<T> type) =>
        [.. ReadFrom(infrastructure, topic, new long[Partitions]).Select(json => JsonSerializer.Deserialize(json, type)!)];

    /// <summary>The records of <paramref name="topic"/> from the given offset of each partition to its current end, as JSON text.</summary>
    private static List<string> ReadFrom(Infrastructure infrastructure, string topic, long[] from)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            { BootstrapServers = infrastructure.KafkaBootstrap, GroupId = "reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false }).Build();
        var ends = Ends(infrastructure, topic);
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, from[p])));
        var values = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (values.Count < ends.Sum() - from.Sum() && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message is { } message)
                values.Add(Encoding.UTF8.GetString(message.Value));
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
