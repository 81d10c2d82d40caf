using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Streams;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Features;
using Engine.Testing.Kafka;
using Engine.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>
/// An idle entity is passivated only once Redis holds every change it answered with: stopped earlier, it would reload
/// without them on its next event, and its next write (absolute values) would overwrite them for good.
/// </summary>
public sealed class IdlePassivationTests(KafkaFixture kafka, RedisFixture redisFixture, ITestOutputHelper output)
    : PipelineTestKit(kafka, output), IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);
    private readonly ITestOutputHelper _output = output;
    private readonly UserTestWorld _world = new();

    [Fact]
    public async Task A_user_idle_while_its_changes_wait_for_Redis_keeps_them_and_is_passivated_once_they_are_durable()
    {
        // redis-server's CLIENT PAUSE WRITE holds writes while reads go on: flushes wait (and time out, and retry) while
        // an entity started meanwhile loads at once, as when Redis refuses or stalls writes (a failover's pause, a full
        // disk) for longer than an entity's idle time.
        using var redis = new RedisServerProcess();
        await redis.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(redis.Endpoint));
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("idle") }, new FeatureMetrics());
        var durable = new DurableOffsets();
        var users = EntityShards.Start(Sys, EntityShards.Users, 1, id => UserActor.Props(id, store, _world.Decider(), idle: new IdlePassivation(Idle, durable)));
        var counters = new PipelineCounters();
        var decisions = new DecisionCounters();
        var group = "idle-" + Guid.NewGuid().ToString("N");
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(Kafka.BootstrapServers, group, [input]),
            new KafkaProducerSettings(Kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null), Durable: durable);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer());
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = Kafka.BootstrapServers }).Build();

        await ProduceViewAsync(producer, input, 0);
        await AwaitCommittedAsync(input, group, 1);
        // Lifted below once looked at: a fixed 6 s pause could run out on a loaded machine before the looks, and the flush land.
        await redis.PauseWritesAsync(TimeSpan.FromSeconds(60));
        await ProduceViewAsync(producer, input, 1);
        AwaitCondition(() => decisions.Recommendations == 2, TimeSpan.FromSeconds(10), "the second view decided while Redis holds writes");
        await Task.Delay(Idle * 3); // idle three times over, its second view not yet in Redis
        var liveWhileUndurable = await EntityCountAsync(users);
        var committedWhilePaused = await CommittedAsync(input, group);
        await redis.UnpauseAsync();
        await ProduceViewAsync(producer, input, 2);
        await AwaitCommittedAsync(input, group, 3);
        var loaded = await store.LoadUserAsync("shopper");
        var views = FeatureAssert.Read(UserFeatures.Schema(["product_view_24h"]), loaded, loaded.LastEventMs)[0];

        // Once its changes are durable, idleness stops it after all: memory stays bounded.
        var liveOnceDurable = await EntityCountAsync(users);
        for (var deadline = DateTime.UtcNow.AddSeconds(15); liveOnceDurable > 0 && DateTime.UtcNow < deadline; liveOnceDurable = await EntityCountAsync(users))
            await Task.Delay(Idle);
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));
        _output.WriteLine($"redis-server writes paused after the first of 3 views; entities live while the second was undurable: {liveWhileUndurable}, " +
                          $"once durable: {liveOnceDurable}; committed while paused: {committedWhilePaused}; product views in Redis: {views}");

        Assert.Equal(1, committedWhilePaused); // the second view's features were not durable when the shopper was idle
        Assert.Equal(3f, views);
        Assert.Equal(1, liveWhileUndurable);
        Assert.Equal(0, liveOnceDurable);
    }

    /// <summary>
    /// A sweep's alert on its way to Kafka keeps its user's actor (the episode it opened lives only there until Kafka has
    /// the alert); once delivered, the episode is saved with the user's features at once and the actor passivates. Before,
    /// an idle actor passivated with the alert on its way, and the delivered episode was kept by nobody.
    /// </summary>
    [Fact]
    public async Task A_user_whose_sweep_alert_is_on_its_way_stays_until_it_is_delivered_then_keeps_the_episode_and_passivates()
    {
        await JoinSelfAsync();
        var connection = redisFixture.Connect(RedisKind.Garnet);
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("idle-alert") }, new FeatureMetrics());
        var quiet = new UserFeatureState("quiet");
        quiet.Apply(new ClickEvent
        {
            EventId = "v0", EventTime = UserTestWorld.T0, UserId = "quiet", SessionId = "s", Type = EventType.ProductView, ItemId = "shoe-0", Category = "shoes",
        }, new EventPosition(0, 0));
        Assert.True((await store.FlushAsync(new FeatureBatch("t", new Dictionary<int, long>(), [new EntityWrite(EntityKind.User, "quiet", quiet.DrainChanges())]))).Acknowledged);
        using var churn = new Engine.Models.Scoring.ModelRegistry(ChurnModels.WithThresholds(alert: 0, rearm: 0), Engine.Models.Scoring.ModelSchemas.Churn);
        var decider = new Engine.Models.Decisions.UserDecider(_world.Models with { Churn = churn }, new Engine.Models.Decisions.DecisionSettings(), _world.Campaigns);
        var users = EntityShards.Start(Sys, EntityShards.Users, 1, id => UserActor.Props(id, store, decider, idle: new IdlePassivation(Idle, new DurableOffsets())));

        users.Tell(new UserProtocol.CheckChurn("quiet", UserTestWorld.T0.AddDays(5), "sweep-5"));
        var alert = ExpectMsg<UserProtocol.ChurnChecked>(TimeSpan.FromSeconds(10)).Alert;
        Assert.NotNull(alert);
        await Task.Delay(Idle * 3);
        var liveWhileOnItsWay = await EntityCountAsync(users);
        users.Tell(new UserProtocol.ChurnAlertDelivered("quiet", alert.DecisionId, alert.CausedBy));
        var key = store.Keys.Entity(EntityKind.User, "quiet");
        // Asked asynchronously: a synchronous HGET blocked a pool thread that the in-process Garnet and the actors also need,
        // and on a loaded machine timed out (CI, 2026-12-06).
        await AwaitAssertAsync(async () => Assert.Equal(alert.DecisionId + "\t" + alert.CausedBy,
            (string?)await connection.GetDatabase().HashGetAsync(key, UserFeatureState.ChurnAlertField)), TimeSpan.FromSeconds(10));
        var liveOnceDelivered = -1;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); liveOnceDelivered != 0 && DateTime.UtcNow < deadline; await Task.Delay(200))
            liveOnceDelivered = await EntityCountAsync(users);
        _output.WriteLine($"idle {Idle}; live while the alert was on its way: {liveWhileOnItsWay}; once delivered and saved: {liveOnceDelivered}");
        Assert.Equal(1, liveWhileOnItsWay);
        Assert.Equal(0, liveOnceDelivered);
    }

    private static async Task ProduceViewAsync(IProducer<byte[], byte[]> producer, string topic, int i) =>
        await producer.ProduceAsync(topic, new Message<byte[], byte[]>
        {
            Key = "shopper"u8.ToArray(),
            Value = ClickEventCodec.Encode(new ClickEvent
            {
                EventId = $"v{i}", EventTime = UserTestWorld.T0.AddMinutes(i), UserId = "shopper", SessionId = "s", Type = EventType.ProductView,
                ItemId = $"shoe-{i}", Category = "shoes",
            }),
        });

    private async Task AwaitCommittedAsync(string topic, string group, long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var committed = await CommittedAsync(topic, group);
            if (committed >= count) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{committed} of {count} events committed after 60 s");
            await Task.Delay(100);
        }
    }

    private Task<long> CommittedAsync(string topic, string group) => Task.Run(() =>
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = group }).Build();
        return Math.Max(0, consumer.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10))[0].Offset.Value);
    });

    private static async Task<int> EntityCountAsync(IActorRef region) =>
        (await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5))).Shards.Sum(s => s.EntityIds.Count);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _world.Dispose();
    }
}
