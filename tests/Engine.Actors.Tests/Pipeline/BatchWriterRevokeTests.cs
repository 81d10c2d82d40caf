using Akka.Actor;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Engine.Actors.Users.UserProtocol;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>A partition's writer whose partition is revoked while Redis is away, against a Garnet that stops and starts.</summary>
public sealed class BatchWriterRevokeTests(ITestOutputHelper log) : Akka.TestKit.Xunit2.TestKit(output: log)
{
    private const string Topic = "t";
    private readonly UserTestWorld _world = new();

    /// <summary>
    /// The flush of a revoked partition stops being retried: its events were never committed, so the next owner replays
    /// them. Retried on (before 2026-12-06, until Redis answered), it could land after that owner's writes at the same
    /// offset, which the offset guard allows (a retry rewrites what it wrote), and bring back a user erased meanwhile. Its
    /// batch does not count as durable, and nothing of it is written once Redis is back.
    /// </summary>
    [Fact]
    public async Task A_revoked_partitions_flush_stops_retrying_and_writes_nothing_once_Redis_is_back()
    {
        using var redis = await StoreAsync("writer-revoke", maxAttempts: 3);
        var (server, connection, store) = (redis.Server, redis.Connection, redis.Store);
        var durable = new DurableOffsets();
        var writer = new BatchWriter(store, Topic, new DecisionTopics(), EntityRoute.Users(campaignEventsTopic: null), churn: null,
            new PipelineCounters(), new DecisionCounters(), fairness: null, maxUndurable: 10_000, TimeSpan.FromMilliseconds(1), forwarder: null, durable);
        writer.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);
        var lease = new PartitionLease(new TopicPartition(Topic, 0), new HandOffQueue<CommittableMessage[]>(), null!);
        var user = Sys.ActorOf(UserActor.Props("u", store, _world.Decider()));
        var asked = Ask(user, lease, offset: 0); // the user loaded while Redis was up

        server.Stop();
        var decided = await writer.DecideAsync([asked]);
        await Task.Delay(600);
        Assert.False(decided.Durable.IsCompleted); // retrying
        lease.EndRevoke();

        await decided.Durable.WaitAsync(TimeSpan.FromSeconds(15));
        await writer.FlushedAsync().WaitAsync(TimeSpan.FromSeconds(5));
        await server.StartAsync();
        await Task.Delay(1_000);

        Assert.False(await connection.GetDatabase().KeyExistsAsync(store.Keys.Entity(EntityKind.User, "u")));
        Assert.Empty(await store.PartitionOffsetsAsync(Topic, [0]));
        Assert.False(durable.Covers(new EventPosition(0, 0)));
    }

    /// <summary>
    /// A writer whose stream failed while Redis was away stops reading the partition's stored offset, and its flush, which
    /// waits for that read, gives up, its batch failing rather than counting as durable: nothing of it may be committed. Before 2026-12-07 the read retried until Redis
    /// answered, outliving its writer (and its flushes kept the partition's next writer on this node waiting), and a pipeline
    /// restarting every few seconds through an outage piled such reads up by the thousand.
    /// </summary>
    [Fact]
    public async Task A_writer_whose_stream_failed_during_an_outage_stops_reading_commits_nothing_and_writes_nothing_once_Redis_is_back()
    {
        using var redis = await StoreAsync("writer-ended", maxAttempts: 3);
        var (server, connection, store) = (redis.Server, redis.Connection, redis.Store);
        var user = Sys.ActorOf(UserActor.Props("u", store, _world.Decider()));
        var asked = Ask(user, Lease(), offset: 0); // the user loaded while Redis was up

        server.Stop();
        var writer = Writer(store);
        writer.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);
        var decided = await writer.DecideAsync([asked]);
        await Task.Delay(600);
        Assert.False(writer.FlushedAsync().IsCompleted); // its flush waits for the stored offset, which Redis does not give
        writer.StreamEnded(failed: true);

        await writer.FlushedAsync().WaitAsync(TimeSpan.FromSeconds(15));
        // Given up, not durable, and not to be committed: the lease still holds, so a completed batch would be.
        var notDurable = await Assert.ThrowsAsync<InvalidOperationException>(() => decided.Durable.WaitAsync(TimeSpan.FromSeconds(1)));
        Assert.Contains("not to be committed", notDurable.Message);
        await server.StartAsync();
        await Task.Delay(1_000);

        Assert.False(await connection.GetDatabase().KeyExistsAsync(store.Keys.Entity(EntityKind.User, "u")));
        Assert.Empty(await store.PartitionOffsetsAsync(Topic, [0]));
    }

    /// <summary>
    /// A writer whose stream ended normally before it decided a batch (its partition revoked, or the run restarted, before the
    /// first events) has nothing waiting on its start reads: they stop. Before 2026-12-07 they went on until Redis came back,
    /// one more pair per rebalance or restart during an outage. One that decided a batch and ended normally (a drain) reads on:
    /// its flush needs the stored offset.
    /// </summary>
    [Fact]
    public async Task A_writer_that_ended_before_its_first_batch_during_an_outage_stops_reading()
    {
        using var redis = await StoreAsync("writer-ended-early", maxAttempts: 3);
        var user = Sys.ActorOf(UserActor.Props("u", redis.Store, _world.Decider()));
        var asked = Ask(user, Lease(), offset: 0);
        redis.Server.Stop();

        var idle = Writer(redis.Store);
        idle.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);
        var draining = Writer(redis.Store);
        draining.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);
        await draining.DecideAsync([asked]);
        await Task.Delay(600);
        Assert.False(idle.StartReads.IsCompleted); // Redis does not answer

        idle.StreamEnded(failed: false);
        draining.StreamEnded(failed: false);
        await idle.StartReads.WaitAsync(TimeSpan.FromSeconds(15));
        await Task.Delay(3_000);
        Assert.False(draining.StartReads.IsCompleted);
        await redis.Server.StartAsync();
        await draining.FlushedAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// A new writer that cannot read its partition's churn floor at first (Redis not answering as it starts, as when a
    /// restart was caused by Redis) reads it again until Redis answers: before 2026-12-07 it went without a floor for its
    /// whole life, and a user whose device clock ran days behind was due at once (review).
    /// </summary>
    [Fact]
    public async Task A_writer_started_while_Redis_does_not_answer_still_schedules_no_earlier_than_its_partitions_floor()
    {
        using var server = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        using var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(server.Endpoint)); // 2 s timeouts
        var prefix = RedisFixture.UniquePrefix("writer-floor");
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = prefix, MaxAttempts = 20 }, new FeatureMetrics());
        var dueList = new ChurnDueList(connection, prefix + "churn:");
        var floor = UserTestWorld.T0.AddDays(10).ToUnixTimeMilliseconds(); // what the partition's earlier writers scheduled
        await connection.GetDatabase().SortedSetAddAsync(dueList.Key(0), dueList.Member("busy"), floor);
        var user = Sys.ActorOf(UserActor.Props("u", store, _world.Decider()));
        var asked = Ask(user, Lease(), offset: 0); // the user loaded while Redis answered; its event is stamped days before the floor

        server.Freeze();
        var writer = Writer(store, churn: new ChurnSchedule(dueList, new PartitionClock(), TimeSpan.FromDays(3)));
        writer.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);
        await Task.Delay(3_000); // past the client's 2 s timeout: the first reads failed
        server.Thaw();
        var decided = await writer.DecideAsync([asked]);
        await decided.Durable.WaitAsync(TimeSpan.FromSeconds(30));

        var due = await connection.GetDatabase().SortedSetScoreAsync(dueList.Key(0), dueList.Member("u"));
        Assert.Equal(floor, (long?)due);
    }

    /// <summary>
    /// A flush that starts after the partition was revoked (a rebalance, or the session lost while the node was cut off
    /// from Kafka) writes nothing: its commit would be dropped as stale, and the next owner, replaying, may already have
    /// written past it, or erased a user it holds.
    /// </summary>
    [Fact]
    public async Task A_flush_that_starts_after_the_revocation_writes_nothing()
    {
        using var redis = await StoreAsync("writer-revoked", maxAttempts: 5);
        var (connection, store) = (redis.Connection, redis.Store);
        var writer = Writer(store);
        var lease = Lease();
        var asked = Ask(Sys.ActorOf(UserActor.Props("u", store, _world.Decider())), lease, offset: 0);
        lease.EndRevoke();

        await (await writer.DecideAsync([asked])).Durable.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(await connection.GetDatabase().KeyExistsAsync(store.Keys.Entity(EntityKind.User, "u")));
        Assert.Empty(await store.PartitionOffsetsAsync(Topic, [0]));
    }

    /// <summary>
    /// The same for the feature flush itself (an event without an item: no slice to load first): revoked while it waits
    /// between attempts, with Redis back at once, it sends no further attempt.
    /// </summary>
    [Fact]
    public async Task A_feature_flush_revoked_between_attempts_sends_no_further_attempt()
    {
        using var redis = await StoreAsync("writer-revoke-flush", maxAttempts: 1);
        var (server, connection, store) = (redis.Server, redis.Connection, redis.Store);
        var writer = Writer(store);
        writer.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);
        var lease = Lease();
        var asked = Ask(Sys.ActorOf(UserActor.Props("u", store, _world.Decider())), lease, offset: 0, withItem: false);
        await store.PartitionOffsetsAsync(Topic, [0]); // the stored offset read, before Redis goes

        server.Stop();
        var decided = await writer.DecideAsync([asked]);
        await Task.Delay(4_000); // the writer's backoff between attempts has grown to its 2 s
        lease.EndRevoke();
        await server.StartAsync();

        await decided.Durable.WaitAsync(TimeSpan.FromSeconds(15));
        await Task.Delay(2_500);
        Assert.False(await connection.GetDatabase().KeyExistsAsync(store.Keys.Entity(EntityKind.User, "u")));
        Assert.Empty(await store.PartitionOffsetsAsync(Topic, [0]));
    }

    /// <summary>
    /// A writer that gives up leaves its item events, with their co-visits, to the partition's next writer on this node:
    /// the entities, still alive here, answer that writer's replay as duplicates, which carry none. Before, the old writer
    /// retried until its flush landed, and the co-visits with it; given up without the hand-over, they were lost.
    /// </summary>
    [Fact]
    public async Task The_next_writer_on_the_node_writes_the_co_visits_a_revoked_writer_gave_up()
    {
        using var redis = await StoreAsync("writer-revoke-items", maxAttempts: 2);
        var (server, store) = (redis.Server, redis.Store);
        var fences = new PartitionFences();
        var user = Sys.ActorOf(UserActor.Props("u", store, _world.Decider()));
        var (first, firstEnded) = (Writer(store, fences), new TaskCompletionSource());
        first.ReadStoredOffsetAfter(fences.Enter(0, firstEnded.Task), partition: 0);
        await store.PartitionOffsetsAsync(Topic, [0]);
        var (lease, next) = (Lease(), Lease());
        var views = new[] { Ask(user, lease, offset: 0), Ask(user, lease, offset: 1) }; // shoe-1 viewed after shoe-0

        server.Stop();
        var decided = await first.DecideAsync([.. views]);
        await Task.Delay(500);
        lease.EndRevoke();
        await decided.Durable.WaitAsync(TimeSpan.FromSeconds(15));
        await first.FlushedAsync();
        firstEnded.SetResult(); // as its stream's end does
        await server.StartAsync();
        // A writer in between that ends before its first batch (revoked again at once) leaves them to the next.
        var middle = Writer(store, fences);
        middle.ReadStoredOffsetAfter(fences.Enter(0, middle.FlushedAsync()), partition: 0);
        await Task.Delay(300);
        var second = Writer(store, fences);
        second.ReadStoredOffsetAfter(fences.Enter(0, Task.Delay(Timeout.Infinite)), partition: 0);
        var replay = new[] { Ask(user, next, offset: 0), Ask(user, next, offset: 1) };
        // Duplicates to the user, answered with their first run's co-visits (the slices count each position once).
        Assert.Equal([null, "shoe-0"], replay.Select(r => r.Handled!.CoVisited?.Single()));
        await (await second.DecideAsync([.. replay])).Durable.WaitAsync(TimeSpan.FromSeconds(15));

        var shoe0 = await store.LoadItemAsync("shoe-0");
        var shoe1 = await store.LoadItemAsync("shoe-1");
        Assert.Equal((1, 1), (shoe0.Neighbours.Counts.GetValueOrDefault("shoe-1"), shoe1.Neighbours.Counts.GetValueOrDefault("shoe-0")));
        Assert.Equal(1, shoe1.Minutes.Sum(ItemFeatureState.Views, 60, UserTestWorld.T0.AddMinutes(2).ToUnixTimeMilliseconds())); // counted once
    }

    private static BatchWriter Writer(FeatureStore store, PartitionFences? fences = null, ChurnSchedule? churn = null) =>
        new(store, Topic, new DecisionTopics(), EntityRoute.Users(campaignEventsTopic: null), churn, new PipelineCounters(), new DecisionCounters(),
            fairness: null, maxUndurable: 10_000, TimeSpan.FromMilliseconds(1), forwarder: null, durable: null, fences: fences);

    /// <summary>A Garnet this test stops and starts, a connection to it, and a store whose flushes try <paramref name="maxAttempts"/> times a call.</summary>
    private static async Task<TestRedis> StoreAsync(string test, int maxAttempts)
    {
        var server = await RestartableRedis.StartAsync(RedisKind.Garnet);
        var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(server.Endpoint));
        return new TestRedis(server, connection, new FeatureStore(connection, new FeatureStoreOptions
        {
            KeyPrefix = RedisFixture.UniquePrefix(test), MaxAttempts = maxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200),
        }, new FeatureMetrics()));
    }

    private sealed record TestRedis(RestartableRedis Server, ConnectionMultiplexer Connection, FeatureStore Store) : IDisposable
    {
        public void Dispose()
        {
            Connection.Dispose();
            Server.Dispose();
        }
    }

    private static PartitionLease Lease() => new(new TopicPartition(Topic, 0), new HandOffQueue<CommittableMessage[]>(), null!);

    private Asked Ask(IActorRef user, PartitionLease lease, int offset, bool withItem = true)
    {
        var evt = new ClickEvent
        {
            EventId = $"v-{offset}", EventTime = UserTestWorld.T0.AddMinutes(offset), UserId = "u", SessionId = "s",
            Type = withItem ? EventType.ProductView : EventType.Search, ItemId = withItem ? $"shoe-{offset}" : null, Category = "shoes",
        };
        var writer = CreateTestProbe();
        user.Tell(new RecordEvent("u", evt, new EventPosition(0, offset), DateTimeOffset.UtcNow), writer.Ref);
        var handled = writer.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
        var value = ClickEventCodec.Encode(evt);
        var record = new DecodedRecord(new CommittableMessage(new KafkaRecord(Topic, 0, offset, "u"u8.ToArray(), value, DateTime.UtcNow),
            new CommittableOffset("g", Topic, 0, offset) { Lease = lease }), ClickEventCodec.Decode(value), DateTime.UtcNow);
        return new Asked(record, handled, DateTime.UtcNow);
    }
}
