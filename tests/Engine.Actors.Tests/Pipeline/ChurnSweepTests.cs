using Akka.Actor;
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
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Testing.Kafka;
using Engine.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>Users who go silent are found on the due-list and alerted once, without an actor kept awake for them.</summary>
public sealed class ChurnSweepTests(KafkaFixture kafka, RedisFixture redis, ITestOutputHelper output)
    : PipelineTestKit(kafka, output), IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset T0 = UserTestWorld.T0;
    private KafkaFixture _kafka = kafka;
    private readonly RedisFixture _redis = redis;
    private readonly ITestOutputHelper _output = output;
    private readonly UserTestWorld _world = new();

    private static ClickEvent View(string user, int day, int i) => new()
    {
        EventId = $"{user}-{day}-{i}", EventTime = T0.AddDays(day).AddMinutes(i), UserId = user, SessionId = $"{user}-s{day}",
        Type = EventType.ProductView, ItemId = $"shoe-{i % 6}", Category = "shoes", Device = "tablet",
    };

    /// <summary>"quiet" shops for a day then stops; "busy" keeps coming for ten days, which moves the partition's clock: "quiet" is due.</summary>
    /// <param name="after">Events produced after the world's, whatever their stamps.</param>
    private async Task<SweepWorld> StartWorldAsync(string name, UserDecider? decider = null, IReadOnlyList<ClickEvent>? after = null)
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        var connection = _redis.Connect(RedisKind.Garnet);
        var prefix = RedisFixture.UniquePrefix(name);
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = prefix }, new FeatureMetrics());
        decider ??= _world.Decider();
        var durable = new DurableOffsets();
        var users = EntityShards.Start(Sys, EntityShards.Users, 1,
            id => UserActor.Props(id, store, decider, idle: new IdlePassivation(TimeSpan.FromSeconds(2), durable)));
        var dueList = new ChurnDueList(connection, prefix);
        var clock = new PartitionClock();

        var events = Enumerable.Range(0, 6).Select(i => View("quiet", 0, i * 60))
            .Concat(Enumerable.Range(0, 11).SelectMany(day => Enumerable.Range(0, 3).Select(i => View("busy", day, i))))
            .OrderBy(e => e.EventTime).Concat(after ?? []).ToList();
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
        {
            foreach (var e in events)
                await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(e.UserId), Value = ClickEventCodec.Encode(e) });
        }

        var counters = new PipelineCounters();
        var decisions = new DecisionCounters();
        var settings = new DecisionPipelineSettings(
            new KafkaConsumerSettings(_kafka.BootstrapServers, "sweep-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(null),
            Churn: new ChurnSchedule(dueList, clock, TimeSpan.FromDays(3)), Durable: durable);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer());
        AwaitCondition(() => counters.Consumed == events.Count, TimeSpan.FromSeconds(60));
        return new SweepWorld(users, dueList, clock, topics, decisions, connection, events.Count,
            () => control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30)), store, counters, input,
            () => DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer()));
    }

    /// <param name="RunAgain">Starts the stream again in the same consumer group (from its commits).</param>
    private sealed record SweepWorld(IActorRef Users, ChurnDueList DueList, PartitionClock Clock, DecisionTopics Topics, DecisionCounters Decisions,
        IConnectionMultiplexer Connection, int Events, Func<Task> StopAsync, FeatureStore Store, PipelineCounters Counters, string Input,
        Func<(IKafkaControl Control, Task Completion)> RunAgain);

    private static ChurnSweepSettings Sweeps(TimeSpan? answerTimeout = null) => new(TimeSpan.FromMilliseconds(200), 100, TimeSpan.FromDays(1), 1, answerTimeout);

    /// <summary>
    /// Kafka refuses the alert (here: no broker at all): the user stays due and is checked again each sweep, and none of those
    /// attempts counts for fairness until one is recorded. Before, each attempt (five a second here) counted as a chance for
    /// an alert with none raised, and the silent users' alert rate sank for as long as Kafka was away.
    /// </summary>
    [Fact]
    public async Task A_check_whose_alert_kafka_refuses_is_not_counted_for_fairness_at_each_attempt()
    {
        var world = await StartWorldAsync("sweep-refused");
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = "127.0.0.1:1", MessageTimeoutMs = 300 }).Build();
        var fairness = new Engine.Models.Fairness.FairnessMonitor(new Engine.Models.Fairness.FairnessSettings());
        var sweeper = Sys.ActorOf(ChurnSweeper.Props(world.Users, world.DueList, world.Clock, producer, world.Topics, world.Decisions, Sweeps(), fairness));
        await Task.Delay(TimeSpan.FromSeconds(3)); // many sweeps, each alert refused
        Sys.Stop(sweeper);
        await world.StopAsync();

        var counted = fairness.Report().Dimensions
            .Where(d => d is { Dimension: Engine.Models.Fairness.FairnessMonitor.Device, Kind: Engine.Models.Fairness.DecisionKind.ChurnAlert })
            .SelectMany(d => d.Segments).Sum(s => s.Opportunities);
        _output.WriteLine($"churn alert chances counted while Kafka refused every alert: {counted}");
        Assert.Equal(0, world.Decisions.ChurnAlerts);
        Assert.Equal(0, counted); // the quiet user's check was never recorded
        Assert.Contains("quiet", await world.DueList.DueAsync(0, long.MaxValue, 100)); // still due: alerted once Kafka takes it
    }

    [Fact]
    public async Task A_user_who_goes_silent_gets_exactly_one_churn_alert_and_an_active_user_none()
    {
        var world = await StartWorldAsync("sweep");
        var (topics, dueList, clock, decisions, connection) = (world.Topics, world.DueList, world.Clock, world.Decisions, world.Connection);
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var fairness = new Engine.Models.Fairness.FairnessMonitor(new Engine.Models.Fairness.FairnessSettings());
        Sys.ActorOf(ChurnSweeper.Props(world.Users, dueList, clock, producer, topics, decisions, Sweeps(), fairness));
        AwaitCondition(() => decisions.ChurnAlerts >= 1, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2)); // several more sweeps: none may alert again
        var watermark = clock.Watermarks[0];
        await world.StopAsync();
        // Its stream ended: this node no longer sweeps the partition (kept, a stale watermark had two nodes sweep it after a rebalance).
        AwaitCondition(() => clock.Watermarks.Count == 0, TimeSpan.FromSeconds(10));

        var alerts = Read(topics.ChurnAlerts, 1, EngineJson.Default.ChurnAlert);
        var stillDue = await connection.GetDatabase().SortedSetRangeByScoreAsync(dueList.Key(0));
        _output.WriteLine($"{_kafka.Describe()}; {world.Events} events, clock at {DateTimeOffset.FromUnixTimeMilliseconds(watermark):O}; " +
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

    /// <summary>
    /// A user whose device clock runs nine days behind, shopping now (their views arrive after "busy"'s tenth day): before
    /// 2026-12-07 they were due a check at their stamps plus the silence, already past on the partition's clock, and the
    /// next sweep alerted them while they browsed.
    /// </summary>
    [Fact]
    public async Task A_user_whose_device_clock_runs_days_behind_is_not_alerted_while_shopping()
    {
        var skewed = Enumerable.Range(0, 6).Select(i => View("skewed", 1, i)).ToList();
        var world = await StartWorldAsync("sweep-skewed", after: skewed);
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        Sys.ActorOf(ChurnSweeper.Props(world.Users, world.DueList, world.Clock, producer, world.Topics, world.Decisions, Sweeps()));
        AwaitCondition(() => world.Decisions.ChurnAlerts >= 1, TimeSpan.FromSeconds(30)); // "quiet": the sweeps run
        await Task.Delay(TimeSpan.FromSeconds(2)); // several more sweeps
        var due = await world.Connection.GetDatabase().SortedSetScoreAsync(world.DueList.Key(0), world.DueList.Member("skewed"));
        await world.StopAsync();

        var alerts = Read(world.Topics.ChurnAlerts, 1, EngineJson.Default.ChurnAlert);
        _output.WriteLine($"alerts: {string.Join(", ", alerts.Select(a => $"{a.UserId} p={a.Probability} last event {a.LastEventAt:O}"))}; " +
                          $"skewed due at {(due is { } d ? DateTimeOffset.FromUnixTimeMilliseconds((long)d).ToString("O") : "none")}");
        Assert.Equal(["quiet"], alerts.Select(a => a.UserId));
        // Due one silence after their views arrived on the partition's clock (busy's tenth day), not after their stamps.
        Assert.Equal(T0.AddDays(10).AddMinutes(2).AddDays(3).ToUnixTimeMilliseconds(), (long?)due);
    }

    /// <summary>
    /// The same user as the first events a restarted stream reads: its new writer's clock starts with them. It takes the
    /// latest check time its partition's earlier writers scheduled as the earliest it schedules.
    /// </summary>
    [Fact]
    public async Task A_restarted_streams_first_events_from_a_clock_days_behind_are_not_due_at_once()
    {
        var world = await StartWorldAsync("sweep-skewed-restart");
        await world.StopAsync();
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
        {
            foreach (var e in Enumerable.Range(0, 3).Select(i => View("skewed", 1, i)))
                await producer.ProduceAsync(world.Input, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(e.UserId), Value = ClickEventCodec.Encode(e) });
        }
        var (control, completion) = world.RunAgain();
        AwaitCondition(() => world.Counters.Consumed == world.Events + 3, TimeSpan.FromSeconds(60));
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var due = await world.Connection.GetDatabase().SortedSetScoreAsync(world.DueList.Key(0), world.DueList.Member("skewed"));
        _output.WriteLine($"skewed due at {(due is { } d ? DateTimeOffset.FromUnixTimeMilliseconds((long)d).ToString("O") : "none")}");
        Assert.Equal(T0.AddDays(10).AddMinutes(2).AddDays(3).ToUnixTimeMilliseconds(), (long?)due); // busy's, not day 1's plus 3
    }

    /// <summary>
    /// An alerted user's episode outlives their actor. Users' actors passivate after two idle minutes, so the sweep that finds
    /// a user silent for days always meets a fresh actor. Before 2026-12-06 the episode lived only in the actor: the next
    /// actor started it armed, and the same episode was alerted again under a new id (here the model never re-arms, so any
    /// second alert is one). Now the actor keeps the episode with the user's features once Kafka has the alert, and the
    /// next actor loads it.
    /// </summary>
    [Fact]
    public async Task An_alerted_users_episode_outlives_their_actor_and_is_not_alerted_again()
    {
        using var churn = new Engine.Models.Scoring.ModelRegistry(ChurnModels.WithThresholds(alert: 0.7, rearm: 0), Engine.Models.Scoring.ModelSchemas.Churn);
        var world = await StartWorldAsync("sweep-episode", new UserDecider(_world.Models with { Churn = churn }, new DecisionSettings(), _world.Campaigns));
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        Sys.ActorOf(ChurnSweeper.Props(world.Users, world.DueList, world.Clock, producer, world.Topics, world.Decisions, Sweeps()));
        AwaitCondition(() => world.Decisions.ChurnAlerts >= 1, TimeSpan.FromSeconds(30));
        var first = Assert.Single(Read(world.Topics.ChurnAlerts, 1, EngineJson.Default.ChurnAlert));
        var key = world.Store.Keys.Entity(EntityKind.User, "quiet");
        // The user's actor saved the delivered alert's episode with the user's features (asked asynchronously: see IdlePassivationTests).
        await AwaitAssertAsync(async () => Assert.Equal(first.DecisionId + "\t" + first.CausedBy,
            (string?)await world.Connection.GetDatabase().HashGetAsync(key, Engine.Models.Features.UserFeatureState.ChurnAlertField)), TimeSpan.FromSeconds(10));

        // Every user's next actor loads from Redis. "quiet" comes back once on day 11, then is silent again for two weeks.
        await EntityShards.StopAllAsync(world.Users, TimeSpan.FromSeconds(10));
        var later = new[] { View("quiet", 11, 0) }
            .Concat(Enumerable.Range(11, 15).SelectMany(day => Enumerable.Range(0, 3).Select(i => View("busy", day, i))))
            .OrderBy(e => e.EventTime).ToList();
        foreach (var e in later)
            await producer.ProduceAsync(world.Input, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(e.UserId), Value = ClickEventCodec.Encode(e) });
        AwaitCondition(() => world.Counters.Consumed == world.Events + later.Count, TimeSpan.FromSeconds(60));
        // "quiet" is due again 3 days after its return; the sweep that checks it then (the clock is at day 25) moves it on a day.
        var dueAgainMs = later.Single(e => e.UserId == "quiet").EventTime.AddDays(3).ToUnixTimeMilliseconds();
        AwaitCondition(() => world.Decisions.ChurnAlerts >= 2
                             || world.Connection.GetDatabase().SortedSetScore(world.DueList.Key(0), world.DueList.Member("quiet")) > dueAgainMs,
            TimeSpan.FromSeconds(30), "the sweep checked the returned user again");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await world.StopAsync();

        var alerts = Read(world.Topics.ChurnAlerts, 1, EngineJson.Default.ChurnAlert);
        _output.WriteLine($"alerts: {string.Join(", ", alerts.Select(a => $"{a.UserId} {a.DecisionId} by {a.CausedBy} p={a.Probability}"))}; " +
                          $"stored episode {world.Connection.GetDatabase().HashGet(key, Engine.Models.Features.UserFeatureState.ChurnAlertField)}");
        Assert.Equal([first.DecisionId], alerts.Select(a => a.DecisionId));
    }

    [Fact]
    public async Task An_alert_whose_send_failed_is_sent_again_with_the_same_id()
    {
        Kafka = _kafka = await _kafka.ForFaultsAsync(); // broker faults: on the embedded cluster, whatever the other tests run on
        var world = await StartWorldAsync("sweep-send");
        // The alert's first sends fail: every broker is down, and the sweeper's producer gives up on a message after 1.5 s.
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, MessageTimeoutMs = 1500 }).Build();
        foreach (var broker in _kafka.BrokerIds) _kafka.SetBrokerDown(broker);
        Sys.ActorOf(ChurnSweeper.Props(world.Users, world.DueList, world.Clock, producer, world.Topics, world.Decisions, Sweeps()));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var sentWhileDown = world.Decisions.ChurnAlerts;
        foreach (var broker in _kafka.BrokerIds) _kafka.SetBrokerUp(broker);
        AwaitCondition(() => world.Decisions.ChurnAlerts >= 1, TimeSpan.FromSeconds(30), "the alert sent once the brokers are back");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await world.StopAsync();

        var alerts = Read(world.Topics.ChurnAlerts, 1, EngineJson.Default.ChurnAlert);
        _output.WriteLine($"brokers down 5 s while the sweeper sent (1.5 s message timeout): sent then {sentWhileDown}; after: " +
                          string.Join(", ", alerts.Select(a => $"{a.UserId} {a.DecisionId} by {a.CausedBy}")));
        Assert.Equal(0, sentWhileDown);
        Assert.NotEmpty(alerts);
        Assert.All(alerts, a => Assert.Equal("quiet", a.UserId));
        Assert.Single(alerts.Select(a => a.DecisionId).Distinct()); // repeats, if any, carry the same id
    }

    [Fact]
    public async Task A_woken_user_who_never_answers_does_not_stop_the_sweeps()
    {
        var world = await StartWorldAsync("sweep-lost");
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        // The first check is lost (as when the user's actor stops with it in its mailbox, or fails to load and answers no alert).
        var region = Sys.ActorOf(Props.Create(() => new DropsFirstCheck(world.Users)));
        Sys.ActorOf(ChurnSweeper.Props(region, world.DueList, world.Clock, producer, world.Topics, world.Decisions, Sweeps(answerTimeout: TimeSpan.FromSeconds(1))));
        AwaitCondition(() => world.Decisions.ChurnAlerts >= 1, TimeSpan.FromSeconds(30), "an alert despite the lost check");
        await world.StopAsync();
        var alert = Assert.Single(Read(world.Topics.ChurnAlerts, 1, EngineJson.Default.ChurnAlert));
        _output.WriteLine($"first check dropped; alert {alert.DecisionId} for {alert.UserId} by {alert.CausedBy}");
        Assert.Equal("quiet", alert.UserId);
    }

    /// <summary>Forwards to the region, except the first churn check, which is dropped.</summary>
    private sealed class DropsFirstCheck : ReceiveActor
    {
        public DropsFirstCheck(IActorRef region)
        {
            var dropped = false;
            ReceiveAny(message =>
            {
                if (message is UserProtocol.CheckChurn && !dropped) dropped = true;
                else region.Forward(message);
            });
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _world.Dispose();
    }
}
