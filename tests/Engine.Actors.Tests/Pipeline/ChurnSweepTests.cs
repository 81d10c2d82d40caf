using Akka.Cluster;
using Akka.Streams;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Testing.Kafka;
using Engine.Testing.Redis;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>Users who go silent are found on the due-list and alerted once, without an actor kept awake for them.</summary>
public sealed class ChurnSweepTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset T0 = UserTestWorld.T0;
    private readonly KafkaFixture _kafka;
    private readonly RedisFixture _redis;
    private readonly ITestOutputHelper _output;
    private readonly UserTestWorld _world = new();

    public ChurnSweepTests(KafkaFixture kafka, RedisFixture redis, ITestOutputHelper output)
        : base("akka.actor.provider = cluster\nakka.remote.dot-netty.tcp { hostname = \"127.0.0.1\", port = 0 }\nakka.loglevel = WARNING", output: output)
    {
        (_kafka, _redis, _output) = (kafka, redis, output);
    }

    private static ClickEvent View(string user, int day, int i) => new()
    {
        EventId = $"{user}-{day}-{i}", EventTime = T0.AddDays(day).AddMinutes(i), UserId = user, SessionId = $"{user}-s{day}",
        Type = EventType.ProductView, ItemId = $"shoe-{i % 6}", Category = "shoes",
    };

    [Fact]
    public async Task A_user_who_goes_silent_gets_exactly_one_churn_alert_and_an_active_user_none()
    {
        var cluster = Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        AwaitCondition(() => cluster.State.Members.Any(m => m.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));

        var input = KafkaFixture.UniqueTopic("clicks");
        var topics = new DecisionTopics(KafkaFixture.UniqueTopic("recs"), KafkaFixture.UniqueTopic("bids"), KafkaFixture.UniqueTopic("adjust"),
            KafkaFixture.UniqueTopic("churn"), KafkaFixture.UniqueTopic("dlq"));
        foreach (var t in new[] { input, topics.Recommendations, topics.BidDecisions, topics.BidAdjustments, topics.ChurnAlerts, topics.DeadLetters })
            await _kafka.CreateTopicAsync(t, 1);

        var connection = _redis.Connect(RedisKind.Garnet);
        var prefix = RedisFixture.UniquePrefix("sweep");
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = prefix }, new FeatureMetrics());
        var decider = _world.Decider();
        var users = EntityShards.Start(Sys, EntityShards.Users, 1, id => UserActor.Props(id, store, decider), TimeSpan.FromSeconds(2));
        var dueList = new ChurnDueList(connection, prefix);
        var clock = new PartitionClock();

        // "quiet" shops for a day then stops; "busy" keeps coming for ten days, which moves the partition's clock.
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var events = Enumerable.Range(0, 6).Select(i => View("quiet", 0, i * 60))
            .Concat(Enumerable.Range(0, 11).SelectMany(day => Enumerable.Range(0, 3).Select(i => View("busy", day, i))))
            .OrderBy(e => e.EventTime).ToList();
        foreach (var e in events)
            await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(e.UserId), Value = ClickEventCodec.Encode(e) });

        var counters = new PipelineCounters();
        var decisions = new DecisionCounters();
        var settings = new DecisionPipelineSettings(
            new KafkaConsumerSettings(_kafka.BootstrapServers, "sweep-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(null),
            BatchInterval: TimeSpan.FromMilliseconds(20), Churn: new ChurnSchedule(dueList, clock, TimeSpan.FromDays(3)));
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer());
        AwaitCondition(() => counters.Consumed == events.Count, TimeSpan.FromSeconds(60));

        Sys.ActorOf(ChurnSweeper.Props(users, dueList, clock, producer, topics, decisions,
            new ChurnSweepSettings(TimeSpan.FromMilliseconds(200), 100, TimeSpan.FromDays(1), 1)));
        AwaitCondition(() => decisions.ChurnAlerts >= 1, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2)); // several more sweeps: none may alert again
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var alerts = ReadAlerts(topics.ChurnAlerts);
        var stillDue = await connection.GetDatabase().SortedSetRangeByScoreAsync(dueList.Key(0));
        _output.WriteLine($"{_kafka.Describe()}; {events.Count} events, clock at {DateTimeOffset.FromUnixTimeMilliseconds(clock.Watermarks[0]):O}; " +
                          $"alerts: {string.Join(", ", alerts.Select(a => $"{a.UserId} p={a.Probability} by {a.CausedBy}"))}; still due: {string.Join(", ", stillDue)}");
        var alert = Assert.Single(alerts);
        Assert.Equal("quiet", alert.UserId);
        Assert.StartsWith("sweep:", alert.CausedBy);
        Assert.Equal(["busy"], stillDue.Select(m => m.ToString()));
    }

    private List<ChurnAlert> ReadAlerts(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = _kafka.BootstrapServers, GroupId = "reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var alerts = new List<ChurnAlert>();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is { } message) alerts.Add(System.Text.Json.JsonSerializer.Deserialize(message.Value, EngineJson.Default.ChurnAlert)!);
            else if (alerts.Count > 0) break;
        }
        return alerts;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _world.Dispose();
    }
}
