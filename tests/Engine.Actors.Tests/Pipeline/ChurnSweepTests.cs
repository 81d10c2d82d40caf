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
public sealed class ChurnSweepTests(KafkaFixture kafka, RedisFixture redis, ITestOutputHelper output)
    : PipelineTestKit(kafka, output), IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset T0 = UserTestWorld.T0;
    private readonly KafkaFixture _kafka = kafka;
    private readonly RedisFixture _redis = redis;
    private readonly ITestOutputHelper _output = output;
    private readonly UserTestWorld _world = new();

    private static ClickEvent View(string user, int day, int i) => new()
    {
        EventId = $"{user}-{day}-{i}", EventTime = T0.AddDays(day).AddMinutes(i), UserId = user, SessionId = $"{user}-s{day}",
        Type = EventType.ProductView, ItemId = $"shoe-{i % 6}", Category = "shoes", Device = "tablet",
    };

    [Fact]
    public async Task A_user_who_goes_silent_gets_exactly_one_churn_alert_and_an_active_user_none()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);

        var connection = _redis.Connect(RedisKind.Garnet);
        var prefix = RedisFixture.UniquePrefix("sweep");
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = prefix }, new FeatureMetrics());
        var decider = _world.Decider();
        var durable = new DurableOffsets();
        var users = EntityShards.Start(Sys, EntityShards.Users, 1,
            id => UserActor.Props(id, store, decider, idle: new IdlePassivation(TimeSpan.FromSeconds(2), durable)));
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
            Churn: new ChurnSchedule(dueList, clock, TimeSpan.FromDays(3)), Durable: durable);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer());
        AwaitCondition(() => counters.Consumed == events.Count, TimeSpan.FromSeconds(60));

        var fairness = new Engine.Models.Fairness.FairnessMonitor(new Engine.Models.Fairness.FairnessSettings());
        Sys.ActorOf(ChurnSweeper.Props(users, dueList, clock, producer, topics, decisions,
            new ChurnSweepSettings(TimeSpan.FromMilliseconds(200), 100, TimeSpan.FromDays(1), 1), fairness));
        AwaitCondition(() => decisions.ChurnAlerts >= 1, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2)); // several more sweeps: none may alert again
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var alerts = Read(topics.ChurnAlerts, 1, EngineJson.Default.ChurnAlert);
        var stillDue = await connection.GetDatabase().SortedSetRangeByScoreAsync(dueList.Key(0));
        _output.WriteLine($"{_kafka.Describe()}; {events.Count} events, clock at {DateTimeOffset.FromUnixTimeMilliseconds(clock.Watermarks[0]):O}; " +
                          $"alerts: {string.Join(", ", alerts.Select(a => $"{a.UserId} p={a.Probability} by {a.CausedBy}"))}; still due: {string.Join(", ", await dueList.DueAsync(0, long.MaxValue, 100))}");
        var alert = Assert.Single(alerts);
        Assert.Equal("quiet", alert.UserId);
        Assert.StartsWith("sweep:", alert.CausedBy);
        Assert.Equal([dueList.Member("busy")], stillDue.Select(m => m.ToString())); // the sealed id, never the raw one
        // The silence alert counts for fairness in the segment of the user's latest event (it has no event of its own),
        // read back from Redis: the quiet user's actor was passivated long before the sweep.
        _output.WriteLine(string.Join("; ", fairness.Report().Dimensions.Select(d => $"{d.Kind} {d.Dimension}: {string.Join(", ", d.Segments.Select(x => $"{x.Segment} {x.Decisions}/{x.Opportunities}"))}")));
        var tablet = fairness.Report().Dimensions
            .Single(d => d is { Dimension: Engine.Models.Fairness.FairnessMonitor.Device, Kind: Engine.Models.Fairness.DecisionKind.ChurnAlert })
            .Segments.Single(s => s.Segment == "tablet");
        Assert.Equal(1, tablet.Decisions);
        Assert.True(tablet.Opportunities >= 1);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _world.Dispose();
    }
}
