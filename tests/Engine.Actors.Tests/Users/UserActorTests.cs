using Akka.Actor;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Testing.Redis;
using Xunit.Abstractions;
using static Engine.Actors.Users.UserProtocol;

namespace Engine.Actors.Tests.Users;

public sealed class UserActorTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<RedisFixture>
{
    private static readonly DateTimeOffset T0 = UserTestWorld.T0;
    private readonly UserTestWorld _world = new();
    private readonly FeatureStore _store;
    private readonly StackExchange.Redis.IConnectionMultiplexer _redis;
    private readonly ITestOutputHelper _output;
    private long _offset;

    public UserActorTests(RedisFixture redis, ITestOutputHelper output) : base(output: output)
    {
        _output = output;
        _redis = redis.Connect(RedisKind.Garnet);
        _store = new FeatureStore(_redis,
            new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("user-actor") }, new FeatureMetrics());
    }

    private IActorRef User(string id, DecisionSettings? settings = null) =>
        Sys.ActorOf(UserActor.Props(id, _store, _world.Decider(settings)));

    private EntityHandled Send(IActorRef user, ClickEvent evt, DateTimeOffset? receivedAt = null, bool listSuperseded = false)
    {
        user.Tell(new RecordEvent(evt.UserId, evt, new EventPosition(0, _offset++), receivedAt ?? DateTimeOffset.UtcNow) { ListSuperseded = listSuperseded });
        return ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
    }

    private static ClickEvent View(string user, string item, int minute, string session = "s-1") => new()
    {
        EventId = $"{user}-{item}-{minute}", EventTime = T0.AddMinutes(minute), UserId = user, SessionId = session,
        Type = EventType.ProductView, ItemId = item, Category = item.StartsWith("shoe", StringComparison.Ordinal) ? "shoes" : "books",
    };

    private static ClickEvent BidRequest(string user, string requestId, decimal floor, int tmax, params string[] campaigns) => new()
    {
        EventId = "br-" + requestId, EventTime = T0.AddMinutes(30), UserId = user, Type = EventType.BidRequest,
        BidRequest = new BidRequest { Id = requestId, Imp = [new Impression { Id = "1", BidFloor = floor }], CandidateCampaigns = campaigns, Tmax = tmax },
    };

    [Fact]
    public void A_failing_user_actor_logs_under_its_pseudonymised_key_never_the_user_id_and_answers_the_event_as_failed()
    {
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Akka.Event.Error));
        var user = User("u-crash-7");
        // An event type no validator would let through: applying it fails inside the actor.
        var broken = View("u-crash-7", "shoe-0", 0) with { Type = (EventType)99 };
        user.Tell(new RecordEvent("u-crash-7", broken, new EventPosition(0, _offset++), DateTimeOffset.UtcNow));
        // The event it failed on is answered, to be dead-lettered (before 2026-12-06 the ask went unanswered, timed out, and
        // the stream's restart replayed the same event for ever).
        var failed = ExpectMsg<EntityFailed>(TimeSpan.FromSeconds(10));
        Assert.Equal(new EventPosition(0, _offset - 1), failed.Position);
        Assert.StartsWith("failed: the user actor threw", failed.Reason);
        var logged = errors.ExpectMsg<Akka.Event.Error>(TimeSpan.FromSeconds(5));
        _output.WriteLine(logged.ToString());
        Assert.Contains(_store.Keys.Entity(EntityKind.User, "u-crash-7"), logged.Message.ToString());
        errors.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // no second log (Akka's own, under the actor's path)
        Assert.DoesNotContain("u-crash-7", logged.ToString());
    }

    [Fact]
    public async Task A_new_entity_loads_only_once_redis_holds_what_this_node_queued_for_its_partition()
    {
        // A partition just moved here: the previous node's entity answered this node's stream (event 1; the reply inbox
        // records answers from other nodes), whose flush is still on its way when the shard moves and the entity starts here. Loaded before the flush landed (before 2026-12-06),
        // its state lacked event 1, and its next write (absolute values) erased it behind committed offsets.
        var previous = User("u-moved");
        var answeredThere = Send(previous, View("u-moved", "shoe-0", 0));
        Sys.Stop(previous);
        var durable = new DurableOffsets();
        var partition = Engine.Models.Routing.KafkaPartitioner.Partition("u-moved", 4);
        durable.Writing(partition); // this node's writer of the partition
        durable.AwaitBeforeLoading(partition, "u-moved", 41);

        var here = Sys.ActorOf(UserActor.Props("u-moved", _store, _world.Decider(),
            idle: new IdlePassivation(TimeSpan.FromHours(1), durable, Partitions: 4, LoadWait: TimeSpan.FromMinutes(5))));
        here.Tell(new RecordEvent("u-moved", View("u-moved", "shoe-1", 1), new EventPosition(partition, 42), DateTimeOffset.UtcNow));
        ExpectNoMsg(TimeSpan.FromSeconds(2)); // loading waits for the queued flush...
        await FlushAsync("u-moved", answeredThere.Changes!);
        durable.Advance(partition, 41);
        var next = ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10)); // ...then loads with it
        await FlushAsync("u-moved", next.Changes!);
        var stored = await _store.LoadUserAsync("u-moved");
        Assert.Equal(2, stored.Minutes.Sum((int)EventType.ProductView, 60, T0.AddMinutes(2).ToUnixTimeMilliseconds()));
    }

    [Fact]
    public void An_actor_whose_answers_never_become_durable_here_stops_after_its_recovery_wait()
    {
        // Its last answer went to another node's stream (a shard moving), which this node's offsets never cover: it stops
        // rather than stash for ever, and that stream's asks time out and replay from its commit.
        var durable = new DurableOffsets();
        var user = Sys.ActorOf(UserActor.Props("u-stuck", _store, _world.Decider(), idle: new IdlePassivation(TimeSpan.FromHours(1), durable)));
        Watch(user);
        Send(user, View("u-stuck", "shoe-0", 0));
        user.Tell(new RecordEvent("u-stuck", View("u-stuck", "shoe-0", 1) with { Type = (EventType)99 }, new EventPosition(0, _offset++), DateTimeOffset.UtcNow));
        ExpectMsg<EntityFailed>(TimeSpan.FromSeconds(10));
        ExpectTerminated(user, EntityRecovery.MaxWait + TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task After_a_failure_the_actor_reloads_its_state_only_once_redis_holds_what_it_answered_before()
    {
        // Stopped at once (before 2026-12-06), its next incarnation could load before the earlier answer's flush landed, and
        // its next write (absolute values) overwrote that answer behind committed offsets: the event was lost for good.
        var durable = new DurableOffsets();
        var user = Sys.ActorOf(UserActor.Props("u-recover", _store, _world.Decider(), idle: new IdlePassivation(TimeSpan.FromHours(1), durable)));
        var first = Send(user, View("u-recover", "shoe-0", 0));
        var firstOffset = _offset - 1;
        user.Tell(new RecordEvent("u-recover", View("u-recover", "shoe-0", 1) with { Type = (EventType)99 }, new EventPosition(0, _offset++), DateTimeOffset.UtcNow));
        ExpectMsg<EntityFailed>(TimeSpan.FromSeconds(10));

        // The next event waits while the first answer is not in Redis...
        user.Tell(new RecordEvent("u-recover", View("u-recover", "shoe-1", 2), new EventPosition(0, _offset++), DateTimeOffset.UtcNow));
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        // ...and is answered from a state reloaded with it once it is.
        await FlushAsync("u-recover", first.Changes!);
        durable.Advance(0, firstOffset);
        var next = ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
        await FlushAsync("u-recover", next.Changes!);
        var stored = await _store.LoadUserAsync("u-recover");
        Assert.Equal(2, stored.Minutes.Sum((int)EventType.ProductView, 60, T0.AddMinutes(3).ToUnixTimeMilliseconds()));
    }

    /// <summary>
    /// A churn check the actor throws on (here its churn model is gone) is answered all the same, without an alert and still
    /// watched: the sweeper waits for every check it sends, and before 2026-12-07 the user's partition was not swept again until
    /// the answer's 30 s timeout, at every look while the check kept failing (review).
    /// </summary>
    [Fact]
    public void A_churn_check_the_actor_fails_on_is_answered()
    {
        var churn = new Engine.Models.Scoring.ModelRegistry(ChurnModels.WithThresholds(alert: 0.7, rearm: 0), Engine.Models.Scoring.ModelSchemas.Churn);
        var decider = new UserDecider(_world.Models with { Churn = churn }, new DecisionSettings(), _world.Campaigns);
        var user = Sys.ActorOf(UserActor.Props("u-check-fails", _store, decider));
        Send(user, View("u-check-fails", "shoe-0", 0));
        churn.Dispose();

        user.Tell(new CheckChurn("u-check-fails", T0.AddDays(20), "sweep-20"));
        var answer = ExpectMsg<ChurnChecked>(TimeSpan.FromSeconds(10));
        Assert.Equal(("sweep-20", null, true), (answer.TickId, answer.Alert, answer.StillWatched));
    }

    [Fact]
    public void A_product_view_carries_the_items_viewed_earlier_in_its_session_and_a_replay_carries_the_same()
    {
        var user = User("u-covisit");
        Assert.Null(Send(user, View("u-covisit", "shoe-0", 0)).CoVisited);
        Assert.Equal(["shoe-0"], Send(user, View("u-covisit", "shoe-1", 1)).CoVisited!);
        Assert.Equal(["shoe-1", "shoe-0"], Send(user, View("u-covisit", "book-0", 2)).CoVisited!);
        // A new session starts with nothing co-visited.
        Assert.Null(Send(user, View("u-covisit", "book-1", 3, session: "s-2")).CoVisited);
        // A replayed view is a duplicate to the user, answered with its first run's co-visits: the stream restarted under this
        // live actor before the view's item slices were flushed, and the slices count it (once per position). Before
        // 2026-12-06 it carried none, and those co-visits were lost.
        var replayed = SendAt(user, View("u-covisit", "shoe-1", 1), 1);
        Assert.Equal(ApplyOutcome.Duplicate, replayed.Outcome);
        Assert.Equal(["shoe-0"], replayed.CoVisited!);
    }

    [Fact]
    public async Task A_new_writer_replaying_what_a_lost_flush_held_gets_the_whole_state_which_replaces_the_key()
    {
        // The partition's first writer (this test's actor) is answered five views; only the first two answers reach Redis.
        var user = User("u-handover");
        var answers = Enumerable.Range(0, 5).Select(minute => Send(user, View("u-handover", $"shoe-{minute}", minute))).ToList();
        await FlushAsync("u-handover", answers[0].Changes!, answers[1].Changes!);
        var key = _store.Keys.Entity(EntityKind.User, "u-handover");
        // A field a lost write would have deleted (here: planted), which a state rewritten on top of the key would keep.
        await _redis.GetDatabase().HashSetAsync(key, "k:stale-category", "1");

        // The next writer (after a restart, or on another node) replays from the last commit: duplicates here.
        var next = CreateTestProbe();
        user.Tell(new RecordEvent("u-handover", View("u-handover", "shoe-2", 2), new EventPosition(0, 2), DateTimeOffset.UtcNow), next.Ref);
        var replayed = next.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
        Assert.Equal(ApplyOutcome.Duplicate, replayed.Outcome);
        var whole = Assert.IsType<Engine.Models.Features.State.EntityChanges>(replayed.Changes);
        Assert.True(whole.Replace);
        await FlushAsync("u-handover", whole);

        // Redis now holds what the actor holds: the five views, and the offsets that make their replays duplicates.
        var stored = await _store.LoadUserAsync("u-handover");
        Assert.Equal(4, stored.Offsets.Covered[0]);
        Assert.Equal(5, stored.Minutes.Sum((int)EventType.ProductView, 60, T0.AddMinutes(5).ToUnixTimeMilliseconds()));
        Assert.False(await _redis.GetDatabase().HashExistsAsync(key, "k:stale-category"));
        Assert.True(await _redis.GetDatabase().KeyTimeToLiveAsync(key) is { } ttl && ttl > TimeSpan.Zero);

        // Its next answers to the same writer are changes again, not the whole state.
        user.Tell(new RecordEvent("u-handover", View("u-handover", "shoe-5", 5), new EventPosition(0, 5), DateTimeOffset.UtcNow), next.Ref);
        Assert.False(next.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10)).Changes!.Replace);
    }

    /// <summary>Sends <paramref name="evt"/> at offset <paramref name="offset"/> of partition 0 (a replay repeats one) and returns the answer.</summary>
    private EntityHandled SendAt(IActorRef user, ClickEvent evt, long offset)
    {
        user.Tell(new RecordEvent(evt.UserId, evt, new EventPosition(0, offset), DateTimeOffset.UtcNow));
        return ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
    }

    private async Task FlushAsync(string userId, params Engine.Models.Features.State.EntityChanges[] changes)
    {
        var flushed = await _store.FlushAsync(new FeatureBatch("t", new Dictionary<int, long>(), [.. changes.Select(c => new EntityWrite(EntityKind.User, userId, c))]));
        Assert.True(flushed.Acknowledged);
    }

    [Fact]
    public void Product_views_get_recommendations_from_their_neighbourhood_and_an_unchanged_list_is_not_resent()
    {
        var user = User("u-1");
        Send(user, View("u-1", "shoe-0", 0));
        var second = Send(user, View("u-1", "shoe-1", 1));
        var recommendation = Assert.IsType<Recommendation>(Assert.Single(second.Decisions));
        _output.WriteLine(string.Join(", ", recommendation.Items.Select(i => $"{i.ItemId} {i.Score:F3} {i.Reason}")));
        Assert.All(recommendation.Items.Take(3), i => Assert.StartsWith("shoe-", i.ItemId));
        Assert.Equal(DecisionIds.Derive("recommendation", "u-1-shoe-1-1"), recommendation.DecisionId);
        Assert.Equal("recs-test", recommendation.ModelVersion);

        var again = Send(user, View("u-1", "shoe-1", 2) with { EventId = "repeat" });
        Assert.DoesNotContain(again.Decisions, d => d is Recommendation);
    }

    [Fact]
    public void A_page_event_whose_list_a_later_one_of_its_session_replaces_sends_none_and_the_later_one_sends_its_list_even_if_it_repeats()
    {
        var user = User("u-conflated");
        Send(user, View("u-conflated", "shoe-0", 0));
        Assert.Single(Send(user, View("u-conflated", "shoe-1", 1)).Decisions.OfType<Recommendation>());
        // Read together with a later view of its session (ListConflation): applied as ever, no list of its own.
        var superseded = Send(user, View("u-conflated", "shoe-2", 2), listSuperseded: true);
        Assert.Equal(ApplyOutcome.Applied, superseded.Outcome);
        Assert.NotNull(superseded.Changes);
        Assert.DoesNotContain(superseded.Decisions, d => d is Recommendation);
        Assert.True(superseded.ListLeftToLater); // counted as left to the later click, not as a chance for a list missed
        // The later view clicks the same item again: its list would repeat the superseded one's, never sent, so it goes out.
        var later = Send(user, View("u-conflated", "shoe-2", 3));
        var list = Assert.Single(later.Decisions.OfType<Recommendation>());
        Assert.False(later.ListLeftToLater);
        Assert.Equal(DecisionIds.Derive("recommendation", "u-conflated-shoe-2-3"), list.DecisionId);
    }

    [Fact]
    public void A_bought_item_is_never_recommended_in_that_session()
    {
        var user = User("u-2");
        Send(user, View("u-2", "shoe-0", 0));
        Send(user, View("u-2", "shoe-1", 1));
        var purchase = new ClickEvent
        {
            EventId = "buy", EventTime = T0.AddMinutes(2), UserId = "u-2", SessionId = "s-1", Type = EventType.Purchase,
            ItemId = "shoe-2", Price = 50m, Quantity = 1,
        };
        Send(user, purchase);
        var after = Send(user, View("u-2", "shoe-3", 3));
        var recommendation = Assert.IsType<Recommendation>(Assert.Single(after.Decisions, d => d is Recommendation));
        Assert.DoesNotContain(recommendation.Items, i => i.ItemId == "shoe-2");
    }

    [Fact]
    public async Task An_item_just_bought_is_not_offered_again_after_an_event_without_a_session_nor_after_a_restart()
    {
        _world.Campaigns.Publish(new CampaignSnapshot(UserTestWorld.Campaign("c-1"), 1.0, 1000, 20, 0.02, 0.05, BudgetLeft: true));
        var user = User("u-bought");
        var answers = new List<EntityHandled> { Send(user, View("u-bought", "shoe-0", 0)), Send(user, View("u-bought", "shoe-1", 1)) };
        answers.Add(Send(user, new ClickEvent
        {
            EventId = "buy-shoe-1", EventTime = T0.AddMinutes(2), UserId = "u-bought", SessionId = "s-1", Type = EventType.Purchase,
            ItemId = "shoe-1", Price = 50m, Quantity = 1,
        }));
        // A bid request carries no session (OpenRTB): it must not end the session's memory of the purchase.
        answers.Add(Send(user, BidRequest("u-bought", "r-1", 0.01m, 60_000, "c-1")));
        var after = Send(user, View("u-bought", "book-0", 3));
        answers.Add(after);
        // Lists after the purchase (one unless the next would repeat it): none offers the item bought.
        var lists = answers.Skip(2).SelectMany(a => a.Decisions).OfType<Recommendation>().ToList();
        Assert.NotEmpty(lists);
        Assert.All(lists, l => Assert.DoesNotContain(l.Items, i => i.ItemId == "shoe-1"));

        // A fresh actor (passivated, or on another node) goes on with the session from Redis: the purchase is still excluded.
        var flushed = await _store.FlushAsync(new FeatureBatch("t", new Dictionary<int, long>(),
            [.. answers.Where(a => a.Changes is not null).Select(a => new EntityWrite(EntityKind.User, "u-bought", a.Changes!))]));
        Assert.True(flushed.Acknowledged);
        Sys.Stop(user);
        var restarted = Send(User("u-bought"), View("u-bought", "shoe-3", 4));
        var again = Assert.IsType<Recommendation>(Assert.Single(restarted.Decisions, d => d is Recommendation));
        _output.WriteLine(string.Join(", ", again.Items.Select(i => $"{i.ItemId} {i.Reason}")));
        Assert.DoesNotContain(again.Items, i => i.ItemId == "shoe-1");
    }

    [Fact]
    public void A_bid_request_gets_a_bid_for_a_known_campaign_and_a_no_bid_with_its_reason_otherwise()
    {
        _world.Campaigns.Publish(new CampaignSnapshot(UserTestWorld.Campaign("c-1"), 1.0, 1000, 20, 0.02, 0.05, BudgetLeft: true));
        var user = User("u-3");
        Send(user, View("u-3", "shoe-0", 0));

        var bid = Assert.IsType<BidDecision>(Assert.Single(Send(user, BidRequest("u-3", "r-1", 0.01m, 1000, "c-1")).Decisions));
        _output.WriteLine($"bid {bid.Price} CPM, pCTR {bid.PredictedCtr}, reasons {string.Join("; ", bid.Reasons)}");
        Assert.True(bid.Bid);
        Assert.Equal("c-1", bid.CampaignId);
        Assert.True(bid.Price > 0.01m);
        Assert.Equal(DecisionIds.Derive("bid", "r-1"), bid.DecisionId);
        Assert.NotEmpty(bid.Reasons);

        var belowFloor = Assert.IsType<BidDecision>(Assert.Single(Send(user, BidRequest("u-3", "r-2", 1000m, 1000, "c-1")).Decisions));
        Assert.Equal(NoBidReason.BelowFloor, belowFloor.Nbr);
        var unknown = Assert.IsType<BidDecision>(Assert.Single(Send(user, BidRequest("u-3", "r-3", 0.01m, 1000, "c-404")).Decisions));
        Assert.Equal(NoBidReason.NoEligibleCampaign, unknown.Nbr);
    }

    [Fact]
    public void A_bid_that_would_miss_tmax_is_dropped_and_counted()
    {
        var user = User("u-4");
        var handled = Send(user, BidRequest("u-4", "r-9", 0.01m, 50, "c-1"), receivedAt: DateTimeOffset.UtcNow.AddSeconds(-1));
        Assert.Empty(handled.Decisions);
        Assert.Equal(1, handled.DroppedLateBids);
    }

    [Fact]
    public void A_user_who_goes_silent_gets_exactly_one_churn_alert_per_silence()
    {
        var user = User("u-5");
        for (var i = 0; i < 6; i++) Send(user, View("u-5", $"shoe-{i % 3}", i * 60 * 24 / 6));
        var alerts = new List<ChurnAlert>();
        foreach (var days in new[] { 1, 3, 8, 10, 14, 20 })
        {
            user.Tell(new CheckChurn("u-5", T0.AddDays(days), $"sweep-{days}"));
            var checkedAt = ExpectMsg<ChurnChecked>();
            if (checkedAt.Alert is { } raised) alerts.Add(raised);
            Assert.True(checkedAt.StillWatched);
        }
        user.Tell(new CheckChurn("u-5", T0.AddDays(32), "sweep-32"));
        Assert.False(ExpectMsg<ChurnChecked>().StillWatched); // 30 days of silence: off the due-list
        var alert = Assert.Single(alerts);
        _output.WriteLine($"alert at p={alert.Probability} caused by {alert.CausedBy}; reasons {string.Join("; ", alert.Reasons)}");
        Assert.True(alert.Probability >= alert.Threshold);
        Assert.NotEmpty(alert.Reasons);
        Assert.Equal(_world.Churn.Version, alert.ModelVersion);
    }

    [Fact]
    public void A_user_who_comes_back_after_an_alert_can_be_alerted_again_after_the_next_silence()
    {
        var user = User("u-7");
        for (var i = 0; i < 6; i++) Send(user, View("u-7", $"shoe-{i % 3}", i * 60 * 24 / 6));
        Assert.Single(Check(user, 20).OfType<ChurnAlert>());
        Assert.Empty(Check(user, 21)); // the episode is open: no second alert for the same silence

        // Back after the silence: the first event scores churn (the episode is open), which closes the episode.
        for (var i = 0; i < 6; i++) Send(user, View("u-7", $"shoe-{i % 3}", 60 * 24 * 22 + i * 60 * 24 / 6, session: "s-2"));
        var second = Assert.Single(Check(user, 45).OfType<ChurnAlert>());
        Assert.Equal("sweep-45", second.CausedBy);
    }

    /// <summary>A decider whose churn model alerts whenever the episode is armed and never re-arms it.</summary>
    private (UserDecider Decider, Engine.Models.Scoring.ModelRegistry Churn) AlwaysAlerting()
    {
        var churn = new Engine.Models.Scoring.ModelRegistry(ChurnModels.WithThresholds(alert: 0, rearm: 0), Engine.Models.Scoring.ModelSchemas.Churn);
        return (new UserDecider(_world.Models with { Churn = churn }, new DecisionSettings(), _world.Campaigns), churn);
    }

    /// <summary>
    /// The event that opened a churn episode is replayed after its flush landed but before its decisions reached Kafka (a
    /// crash between the two): the replay sends the alert again, with the same id. Before, the next actor loaded the episode
    /// as already alerted, and the alert was lost.
    /// </summary>
    [Fact]
    public async Task A_replay_of_the_event_that_opened_a_churn_episode_sends_its_alert_again_with_the_same_id()
    {
        var (decider, churn) = AlwaysAlerting();
        using var _ = churn;
        var first = Sys.ActorOf(UserActor.Props("u-replay", _store, decider));
        var view = View("u-replay", "shoe-0", 0);
        var handled = SendAt(first, view, 7);
        var alert = Assert.Single(handled.Decisions.OfType<ChurnAlert>());
        await FlushAsync("u-replay", handled.Changes!); // the flush landed; the decisions never reached Kafka
        Sys.Stop(first);

        var next = Sys.ActorOf(UserActor.Props("u-replay", _store, decider));
        var replay = SendAt(next, view, 7);
        Assert.Equal(ApplyOutcome.Duplicate, replay.Outcome);
        Assert.Equal([alert.DecisionId], replay.Decisions.OfType<ChurnAlert>().Select(a => a.DecisionId));
        Assert.Empty(SendAt(next, View("u-replay", "shoe-1", 1), 8).Decisions.OfType<ChurnAlert>()); // the episode is still open
    }

    /// <summary>
    /// As above, when the score no longer crosses the threshold at the replay (a later event of the lost batch moved the
    /// features, or the model or its threshold was reloaded): the alert is sent again all the same. Before 2026-12-06 the
    /// replay was gated on the threshold again, the alert was lost, and the open episode kept every later sweep quiet.
    /// </summary>
    [Fact]
    public async Task A_replay_sends_the_alert_again_even_when_the_score_now_stays_below_the_threshold()
    {
        var (decider, churn) = AlwaysAlerting();
        using var _ = churn;
        var first = Sys.ActorOf(UserActor.Props("u-replay-below", _store, decider));
        var view = View("u-replay-below", "shoe-0", 0);
        var handled = SendAt(first, view, 7);
        var alert = Assert.Single(handled.Decisions.OfType<ChurnAlert>());
        await FlushAsync("u-replay-below", handled.Changes!); // the flush landed; the decisions never reached Kafka
        Sys.Stop(first);

        using var neverCrossing = new Engine.Models.Scoring.ModelRegistry(ChurnModels.WithThresholds(alert: 1.0, rearm: 0), Engine.Models.Scoring.ModelSchemas.Churn);
        var reloaded = new UserDecider(_world.Models with { Churn = neverCrossing }, new DecisionSettings(), _world.Campaigns);
        var next = Sys.ActorOf(UserActor.Props("u-replay-below", _store, reloaded));
        var replay = SendAt(next, view, 7);
        Assert.Equal(ApplyOutcome.Duplicate, replay.Outcome);
        Assert.Equal([alert.DecisionId], replay.Decisions.OfType<ChurnAlert>().Select(a => a.DecisionId));
    }

    /// <summary>
    /// As above, when the event that opened the episode was not the user's last in the lost batch: its replay matches the
    /// episode by its <c>caused_by</c>, and sends the alert again (same id); the later event's replay sends nothing.
    /// </summary>
    [Fact]
    public async Task A_replay_sends_the_alert_again_when_the_event_that_opened_the_episode_was_followed_by_another()
    {
        var (decider, churn) = AlwaysAlerting();
        using var _ = churn;
        var first = Sys.ActorOf(UserActor.Props("u-replay-2", _store, decider));
        var (opening, following) = (View("u-replay-2", "shoe-0", 0), View("u-replay-2", "shoe-1", 5));
        var opened = SendAt(first, opening, 7);
        var followed = SendAt(first, following, 8);
        var alert = Assert.Single(opened.Decisions.OfType<ChurnAlert>());
        Assert.Empty(followed.Decisions.OfType<ChurnAlert>());
        await FlushAsync("u-replay-2", opened.Changes!, followed.Changes!); // the flush landed; the decisions never reached Kafka
        Sys.Stop(first);

        var next = Sys.ActorOf(UserActor.Props("u-replay-2", _store, decider));
        var replayed = Assert.Single(SendAt(next, opening, 7).Decisions.OfType<ChurnAlert>());
        Assert.Empty(SendAt(next, following, 8).Decisions.OfType<ChurnAlert>());
        Assert.Equal((alert.DecisionId, alert.LastEventAt), (replayed.DecisionId, replayed.LastEventAt));
    }

    /// <summary>
    /// Only the replay of the event that opened the episode sends its alert again: a replayed late event, whose time is
    /// before the opener's, sends nothing (matched by the episode's id alone, it sent the alert again under its own
    /// <c>caused_by</c>).
    /// </summary>
    [Fact]
    public async Task A_replay_of_an_event_that_did_not_open_the_episode_sends_no_alert()
    {
        var (decider, churn) = AlwaysAlerting();
        using var _ = churn;
        var first = Sys.ActorOf(UserActor.Props("u-replay-3", _store, decider));
        var (opening, late) = (View("u-replay-3", "shoe-0", 10), View("u-replay-3", "shoe-1", 5));
        var opened = SendAt(first, opening, 7);
        var lateHandled = SendAt(first, late, 8);
        var alert = Assert.Single(opened.Decisions.OfType<ChurnAlert>());
        await FlushAsync("u-replay-3", opened.Changes!, lateHandled.Changes!);
        Sys.Stop(first);

        var next = Sys.ActorOf(UserActor.Props("u-replay-3", _store, decider));
        Assert.Empty(SendAt(next, late, 8).Decisions.OfType<ChurnAlert>());
        var again = Assert.Single(SendAt(next, opening, 7).Decisions.OfType<ChurnAlert>());
        Assert.Equal((alert.DecisionId, alert.CausedBy), (again.DecisionId, again.CausedBy));
    }

    /// <summary>
    /// A sweep's alert is kept with the user's features only once Kafka has it: an event's flush meanwhile does not carry it,
    /// and when its send fails the next actor (loaded from Redis) raises it again. Before, the event's flush stored the
    /// episode while the send was pending; once the send failed, every later actor found the user alerted with no alert sent.
    /// </summary>
    [Fact]
    public async Task A_sweeps_alert_is_kept_with_the_features_only_once_kafka_has_it()
    {
        using var churn = new Engine.Models.Scoring.ModelRegistry(ChurnModels.WithThresholds(alert: 0.7, rearm: 0), Engine.Models.Scoring.ModelSchemas.Churn);
        var decider = new UserDecider(_world.Models with { Churn = churn }, new DecisionSettings(), _world.Campaigns);
        var user = Sys.ActorOf(UserActor.Props("u-swept", _store, decider));
        for (var i = 0; i < 6; i++) await FlushAsync("u-swept", Send(user, View("u-swept", $"shoe-{i % 3}", i * 60 * 24 / 6)).Changes!);

        user.Tell(new CheckChurn("u-swept", T0.AddDays(20), "sweep-20"));
        var sent = ExpectMsg<ChurnChecked>().Alert;
        Assert.NotNull(sent); // on its way to Kafka
        var back = Send(user, View("u-swept", "shoe-0", 60 * 24 * 20 + 60)); // back for a moment: the episode stays open (never re-arms)
        Assert.Empty(back.Decisions.OfType<ChurnAlert>());
        Assert.DoesNotContain(back.Changes!.Set, f => f.Field == UserFeatureState.ChurnAlertField); // not stored before Kafka has it
        await FlushAsync("u-swept", back.Changes!);
        user.Tell(new ChurnAlertUndelivered("u-swept", sent.DecisionId)); // the send failed
        Sys.Stop(user);

        var next = Sys.ActorOf(UserActor.Props("u-swept", _store, decider));
        next.Tell(new CheckChurn("u-swept", T0.AddDays(40), "sweep-40"));
        var raised = ExpectMsg<ChurnChecked>().Alert;
        Assert.NotNull(raised); // raised again: the undelivered alert was never stored
        next.Tell(new ChurnAlertDelivered("u-swept", raised.DecisionId, raised.CausedBy));
        var later = Send(next, View("u-swept", "shoe-1", 60 * 24 * 40 + 60));
        Assert.Contains(later.Changes!.Set, f => (f.Field, f.Text) == (UserFeatureState.ChurnAlertField, raised.DecisionId + "\t" + raised.CausedBy)); // delivered: kept
    }

    /// <summary>
    /// A late event (older than the user's last by more than the allowed lateness, dropped from the features) is not the
    /// user coming back: it leaves an open churn episode open. Before, it was scored at no silence, re-armed the episode and
    /// deleted it from Redis, and the user's next crossing alerted the same silence again.
    /// </summary>
    [Fact]
    public void A_late_event_leaves_an_open_churn_episode_open()
    {
        var user = User("u-late");
        for (var i = 0; i < 6; i++) Send(user, View("u-late", $"shoe-{i % 3}", i * 60 * 24 / 6));
        user.Tell(new CheckChurn("u-late", T0.AddDays(20), "sweep-20"));
        var alert = ExpectMsg<ChurnChecked>().Alert;
        Assert.NotNull(alert);
        user.Tell(new ChurnAlertDelivered("u-late", alert.DecisionId, alert.CausedBy));

        var lateEvent = View("u-late", "shoe-4", 0) with { EventId = "late-1" }; // the first view's time: hours before the last
        var late = Send(user, lateEvent);
        Assert.Equal(ApplyOutcome.Late, late.Outcome);
        Assert.Empty(late.Decisions.OfType<ChurnAlert>());
        Assert.DoesNotContain(UserFeatureState.ChurnAlertField, late.Changes?.Delete ?? []);
        // Replayed (a restart from an earlier commit), it is a duplicate: that moves nothing either.
        var replayed = SendAt(user, lateEvent, _offset - 1);
        Assert.Equal(ApplyOutcome.Duplicate, replayed.Outcome);
        Assert.Empty(replayed.Decisions.OfType<ChurnAlert>());
        Assert.DoesNotContain(UserFeatureState.ChurnAlertField, replayed.Changes?.Delete ?? []);
        user.Tell(new CheckChurn("u-late", T0.AddDays(21), "sweep-21"));
        Assert.Null(ExpectMsg<ChurnChecked>().Alert); // still the episode the sweep opened
    }

    [Fact]
    public void An_out_of_order_event_within_the_lateness_leaves_an_open_churn_episode_open()
    {
        var user = User("u-shuffled");
        for (var i = 0; i < 6; i++) Send(user, View("u-shuffled", $"shoe-{i % 3}", i * 60 * 24 / 6));
        user.Tell(new CheckChurn("u-shuffled", T0.AddDays(20), "sweep-20"));
        var alert = ExpectMsg<ChurnChecked>().Alert;
        Assert.NotNull(alert);
        user.Tell(new ChurnAlertDelivered("u-shuffled", alert.DecisionId, alert.CausedBy));

        // Five minutes before the last view (an offline device's upload): counted, within the lateness, but not a return.
        // Before 2026-12-06 it was scored at no silence, closed the episode, and the next sweep alerted again.
        var shuffled = Send(user, View("u-shuffled", "shoe-4", 1195) with { EventId = "shuffled-1" });
        Assert.Equal(ApplyOutcome.Applied, shuffled.Outcome);
        Assert.DoesNotContain(UserFeatureState.ChurnAlertField, shuffled.Changes?.Delete ?? []);
        user.Tell(new CheckChurn("u-shuffled", T0.AddDays(21), "sweep-21"));
        Assert.Null(ExpectMsg<ChurnChecked>().Alert);
    }

    [Fact]
    public async Task A_session_opened_by_a_search_gets_no_list_from_the_last_sessions_views()
    {
        var user = User("u-back");
        var first = Send(user, View("u-back", "shoe-0", 0));
        var second = Send(user, View("u-back", "shoe-1", 1));
        await FlushAsync("u-back", first.Changes!, second.Changes!);
        Watch(user);
        Sys.Stop(user); // passivated
        ExpectTerminated(user);
        // Days later a new session opens with a search, on a fresh actor (the state loaded from Redis, no memo of lists sent).
        var back = User("u-back");
        var search = new ClickEvent
        {
            EventId = "u-back-search", EventTime = T0.AddDays(3), UserId = "u-back", SessionId = "s-2", Type = EventType.Search, Query = "boots",
        };
        var handled = Send(back, search);
        Assert.Empty(handled.Decisions.OfType<Recommendation>()); // before 2026-12-06: a list of s-2 built from s-1's views
        var view = Send(back, View("u-back", "book-0", 3 * 24 * 60 + 1, session: "s-2"));
        var list = Assert.Single(view.Decisions.OfType<Recommendation>());
        Assert.Equal(("s-2", 1.0), (list.SessionId, list.Reasons.Single(r => r.Factor == "session_items").Value));
    }

    [Fact]
    public async Task An_entity_that_stops_with_an_answer_not_yet_durable_has_its_next_incarnation_wait_for_it()
    {
        // An event already in its mailbox when it asked to passivate is answered, then it stops: before 2026-12-06 its next
        // incarnation loaded without that answer's flush, and its next write (absolute values) erased it.
        var durable = new DurableOffsets();
        var partition = Engine.Models.Routing.KafkaPartitioner.Partition("u-stopping", 4);
        var idle = new IdlePassivation(TimeSpan.FromHours(1), durable, Partitions: 4, LoadWait: TimeSpan.FromMinutes(5));
        durable.Writing(partition); // the stream's writer of the partition runs
        var first = Sys.ActorOf(UserActor.Props("u-stopping", _store, _world.Decider(), idle: idle));
        first.Tell(new RecordEvent("u-stopping", View("u-stopping", "shoe-0", 0), new EventPosition(partition, 7), DateTimeOffset.UtcNow));
        var answered = ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var next = Sys.ActorOf(UserActor.Props("u-stopping", _store, _world.Decider(), idle: idle));
        next.Tell(new RecordEvent("u-stopping", View("u-stopping", "shoe-1", 1), new EventPosition(partition, 8), DateTimeOffset.UtcNow));
        ExpectNoMsg(TimeSpan.FromSeconds(2)); // loading waits for the answer's flush...
        await FlushAsync("u-stopping", answered.Changes!);
        durable.Advance(partition, 7);
        var handled = ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10)); // ...then loads with it
        await FlushAsync("u-stopping", handled.Changes!);
        var stored = await _store.LoadUserAsync("u-stopping");
        Assert.Equal(2, stored.Minutes.Sum((int)EventType.ProductView, 60, T0.AddMinutes(2).ToUnixTimeMilliseconds()));
    }

    [Fact]
    public void An_actor_whose_state_cannot_be_loaded_answers_what_waited_not_ready_before_it_stops()
    {
        // Redis is not there (nothing listens on the port): the load fails at once. Before 2026-12-06 the waiting messages were
        // unstashed as the actor stopped, so they went to the dead letters and the stream's asks waited out their timeout.
        using var gone = StackExchange.Redis.ConnectionMultiplexer.Connect("127.0.0.1:1,abortConnect=false,connectTimeout=200");
        var store = new FeatureStore(gone, new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("gone"), MaxAttempts = 1 }, new FeatureMetrics());
        var user = Sys.ActorOf(UserActor.Props("u-unloadable", store, _world.Decider()));
        Watch(user);
        user.Tell(new RecordEvent("u-unloadable", View("u-unloadable", "shoe-0", 0), new EventPosition(0, _offset++), DateTimeOffset.UtcNow));
        user.Tell(new CheckChurn("u-unloadable", T0.AddDays(20), "sweep-20"));
        Assert.Equal("u-unloadable", ExpectMsg<EntityNotReady>(TimeSpan.FromSeconds(10)).EntityId);
        Assert.Equal("u-unloadable", ExpectMsg<EntityNotReady>(TimeSpan.FromSeconds(10)).EntityId);
        ExpectTerminated(user, TimeSpan.FromSeconds(10));
    }

    private IReadOnlyList<IDecision> Check(IActorRef user, int days) // a sweep of u-7 as of T0 + days
    {
        user.Tell(new CheckChurn("u-7", T0.AddDays(days), $"sweep-{days}"));
        return ExpectMsg<ChurnChecked>().Alert is { } alert ? [alert] : [];
    }

    [Fact]
    public void A_replayed_event_changes_no_feature()
    {
        var user = User("u-6");
        var evt = View("u-6", "shoe-0", 0);
        user.Tell(new RecordEvent("u-6", evt, new EventPosition(0, 100), DateTimeOffset.UtcNow));
        var first = ExpectMsg<EntityHandled>();
        user.Tell(new RecordEvent("u-6", evt, new EventPosition(0, 100), DateTimeOffset.UtcNow));
        var replay = ExpectMsg<EntityHandled>();
        Assert.Equal(ApplyOutcome.Applied, first.Outcome);
        Assert.NotNull(first.Changes);
        Assert.Equal(ApplyOutcome.Duplicate, replay.Outcome);
        Assert.Null(replay.Changes);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _world.Dispose();
    }
}
