using Akka.Actor;
using Akka.TestKit;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Redis;
using Xunit.Abstractions;
using static Engine.Actors.Users.UserProtocol;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>A partition's next writer, replaying from the last commit (which lags the last flush), against Garnet.</summary>
public sealed class BatchWriterReplayTests(RedisFixture redis, ITestOutputHelper log)
    : Akka.TestKit.Xunit2.TestKit(output: log), IClassFixture<RedisFixture>
{
    private readonly ITestOutputHelper _log = log;
    private const string Topic = "t";
    private static readonly DateTimeOffset T0 = UserTestWorld.T0;
    private readonly UserTestWorld _world = new();
    private readonly FeatureStore _store = new(redis.Connect(RedisKind.Garnet),
        new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("writer-replay") }, new FeatureMetrics());

    private BatchWriter Writer() => new(_store, Topic, new DecisionTopics(), EntityRoute.Users(campaignEventsTopic: null), churn: null,
        new PipelineCounters(), new DecisionCounters(), fairness: null, maxUndurable: 10_000, TimeSpan.FromMilliseconds(1), forwarder: null, durable: null);

    private static ClickEvent View(int offset) => new()
    {
        EventId = $"v-{offset}", EventTime = T0.AddMinutes(offset), UserId = "u", SessionId = "s", Type = EventType.ProductView,
        ItemId = $"shoe-{offset}", Category = "shoes",
    };

    /// <summary>The user's answer to <paramref name="writer"/> (the writer's stream, as the user actor tells writers apart).</summary>
    private static Asked Ask(IActorRef user, TestProbe writer, int offset)
    {
        var evt = View(offset);
        user.Tell(new RecordEvent("u", evt, new EventPosition(0, offset), DateTimeOffset.UtcNow), writer.Ref);
        var handled = writer.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
        var value = ClickEventCodec.Encode(evt);
        var record = new DecodedRecord(new CommittableMessage(new KafkaRecord(Topic, 0, offset, "u"u8.ToArray(), value, DateTime.UtcNow),
            new CommittableOffset("g", Topic, 0, offset)), ClickEventCodec.Decode(value), DateTime.UtcNow);
        return new Asked(record, handled, DateTime.UtcNow);
    }

    /// <summary>
    /// The first writer flushed the user's views 0-4 (Redis stores offset 4) and the user applied 5 and 6 for it, which
    /// never reached a batch (its stream failed first). The next writer replays from the last commit (offset 2): the
    /// user's first answer to it is its whole state, 5 and 6 included, in a batch ending at 2, below the stored 4. That
    /// batch was refused as superseded, the user then answered 3-6 as duplicates with nothing to write, and Redis never
    /// got 5 and 6.
    /// </summary>
    [Fact]
    public async Task A_replay_below_the_stored_offset_still_writes_the_whole_state_a_lost_flush_held()
    {
        var user = Sys.ActorOf(UserActor.Props("u", _store, _world.Decider()));
        var (first, next) = (CreateTestProbe(), CreateTestProbe());
        var flushed = await Writer().DecideAsync([.. Enumerable.Range(0, 5).Select(offset => Ask(user, first, offset))]);
        await flushed.Durable;
        Ask(user, first, 5);
        Ask(user, first, 6); // applied, answered, never batched

        var writer = Writer();
        writer.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);
        var replay = Ask(user, next, 2);
        Assert.True(replay.Handled!.Changes!.Replace);
        await (await writer.DecideAsync([replay])).Durable;
        await (await writer.DecideAsync([.. Enumerable.Range(3, 4).Select(offset => Ask(user, next, offset))])).Durable;

        var stored = await _store.LoadUserAsync("u");
        _log.WriteLine($"stored: offset {stored.Offsets.Covered[0]}, views {stored.Minutes.Sum((int)EventType.ProductView, 60, T0.AddMinutes(7).ToUnixTimeMilliseconds())}");
        Assert.Equal(6, stored.Offsets.Covered[0]);
        Assert.Equal(7, stored.Minutes.Sum((int)EventType.ProductView, 60, T0.AddMinutes(7).ToUnixTimeMilliseconds()));
    }

    /// <summary>
    /// A refusal that does not pass with time (here WRONGTYPE: another program wrote a string where an item slice lives;
    /// NOPERM after an ACL change is the same) fails the batch, so the stream fails, logs it and restarts with backoff.
    /// Before, the writer retried it for ever without a word and the partition stalled.
    /// </summary>
    [Fact]
    public async Task A_permanent_Redis_refusal_fails_the_batch_instead_of_stalling_it_silently()
    {
        await redis.Connect(RedisKind.Garnet).GetDatabase().StringSetAsync(_store.Keys.ItemSlice("shoe-0", 0), "not a hash");
        var user = Sys.ActorOf(UserActor.Props("u", _store, _world.Decider()));
        var writer = Writer();
        writer.ReadStoredOffsetAfter(Task.CompletedTask, partition: 0);

        var durable = (await writer.DecideAsync([Ask(user, CreateTestProbe(), 0)])).Durable;

        Assert.Same(durable, await Task.WhenAny(durable, Task.Delay(TimeSpan.FromSeconds(20))));
        var error = await Assert.ThrowsAnyAsync<StackExchange.Redis.RedisServerException>(() => durable);
        _log.WriteLine(error.Message);
        Assert.Contains("WRONGTYPE", error.Message);
    }

    /// <summary>
    /// A user's late event (dropped from the features: older than their latest minus the allowed lateness) does not move
    /// their churn check. Scheduled at its own time, it overwrote the user's due time with an older one, and the trim in the
    /// same flush (entries due longer ago than the retention before the batch's latest) then took the user off the list:
    /// never checked for the silence that followed.
    /// </summary>
    [Fact]
    public async Task A_late_event_neither_moves_nor_drops_the_users_churn_check()
    {
        var connection = redis.Connect(RedisKind.Garnet);
        var due = new ChurnDueList(connection, RedisFixture.UniquePrefix("late-due"));
        var silence = TimeSpan.FromDays(3);
        var writer = new BatchWriter(_store, Topic, new DecisionTopics(), EntityRoute.Users(campaignEventsTopic: null),
            new ChurnSchedule(due, new PartitionClock(), silence), new PipelineCounters(), new DecisionCounters(), fairness: null, maxUndurable: 10_000,
            TimeSpan.FromMilliseconds(1), forwarder: null, durable: null);
        var (u, v) = (Sys.ActorOf(UserActor.Props("u", _store, _world.Decider())), Sys.ActorOf(UserActor.Props("v", _store, _world.Decider())));
        var now = T0.AddDays(60);
        await (await writer.DecideAsync([AskAt(u, "u", 0, now)])).Durable;

        var late = AskAt(u, "u", 1, now.AddDays(-40)); // an offline device's upload
        Assert.Equal(ApplyOutcome.Late, late.Handled!.Outcome);
        await (await writer.DecideAsync([late, AskAt(v, "v", 2, now)])).Durable;

        var score = await connection.GetDatabase().SortedSetScoreAsync(due.Key(0), due.Member("u"));
        Assert.Equal((now + silence).ToUnixTimeMilliseconds(), score);
    }

    private Asked AskAt(IActorRef user, string userId, int offset, DateTimeOffset at)
    {
        var evt = new ClickEvent
        {
            EventId = $"{userId}-{offset}", EventTime = at, UserId = userId, SessionId = "s-" + userId, Type = EventType.Search, Query = "boots",
        };
        var probe = CreateTestProbe();
        user.Tell(new RecordEvent(userId, evt, new EventPosition(0, offset), DateTimeOffset.UtcNow), probe.Ref);
        var handled = probe.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
        var value = ClickEventCodec.Encode(evt);
        var record = new DecodedRecord(new CommittableMessage(new KafkaRecord(Topic, 0, offset, System.Text.Encoding.UTF8.GetBytes(userId), value, DateTime.UtcNow),
            new CommittableOffset("g", Topic, 0, offset)), ClickEventCodec.Decode(value), DateTime.UtcNow);
        return new Asked(record, handled, DateTime.UtcNow);
    }
}
