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
public sealed class IdlePassivationTests(KafkaFixture kafka, ITestOutputHelper output)
    : PipelineTestKit(kafka, output), IClassFixture<KafkaFixture>
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
        await redis.PauseWritesAsync(TimeSpan.FromSeconds(6));
        await ProduceViewAsync(producer, input, 1);
        AwaitCondition(() => decisions.Recommendations == 2, TimeSpan.FromSeconds(10), "the second view decided while Redis holds writes");
        await Task.Delay(Idle * 3); // idle three times over, its second view not yet in Redis
        var liveWhileUndurable = await EntityCountAsync(users);
        var committedWhilePaused = await CommittedAsync(input, group);
        await ProduceViewAsync(producer, input, 2);
        await AwaitCommittedAsync(input, group, 3);
        var loaded = await store.LoadUserAsync("shopper");
        var views = FeatureAssert.Read(UserFeatures.Schema(["product_view_24h"]), loaded, loaded.LastEventMs)[0];

        // Once its changes are durable, idleness stops it after all: memory stays bounded.
        await Task.Delay(Idle * 3);
        var liveOnceDurable = await EntityCountAsync(users);
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));
        _output.WriteLine($"redis-server writes paused 6 s after the first of 3 views; entities live while the second was undurable: {liveWhileUndurable}, " +
                          $"once durable: {liveOnceDurable}; committed while paused: {committedWhilePaused}; product views in Redis: {views}");

        Assert.Equal(1, committedWhilePaused); // the second view's features were not durable when the shopper was idle
        Assert.Equal(3f, views);
        Assert.Equal(1, liveWhileUndurable);
        Assert.Equal(0, liveOnceDurable);
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
