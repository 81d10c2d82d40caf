using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Testing.Features;

namespace Engine.Models.Tests.Features;

public class FeatureStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static ClickEvent View(string item, DateTimeOffset at, string session = "s1") => new()
    {
        EventId = Guid.NewGuid().ToString(), EventTime = at, UserId = "u1", SessionId = session, Type = EventType.ProductView, ItemId = item, Category = "shoes",
    };

    [Fact]
    public void An_event_older_than_the_lateness_is_dropped_and_one_within_it_counts_in_its_own_bucket()
    {
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        Assert.Equal(ApplyOutcome.Applied, user.Apply(View("a", T0), new(0, 0)));
        Assert.Equal(ApplyOutcome.Applied, user.Apply(View("b", T0.AddMinutes(-9)), new(0, 1)));
        Assert.Equal(ApplyOutcome.Late, user.Apply(View("c", T0.AddMinutes(-11)), new(0, 2)));
        var features = FeatureAssert.Read(UserFeatures.Schema(["product_view_5m", "product_view_1h"]), user, user.ReadTimeMs(T0));
        Assert.Equal([1f, 2f], features);
    }

    /// <summary>Purchases without a session never start a new one: the bought items (a field rewritten whole at each purchase) stay bounded.</summary>
    [Fact]
    public void The_items_bought_stay_bounded_when_purchases_carry_no_session()
    {
        var user = new UserFeatureState("u1");
        for (var i = 0; i < 1_000; i++)
            user.Apply(new ClickEvent { EventId = $"buy-{i}", EventTime = T0.AddMinutes(i), UserId = "u1", Type = EventType.Purchase, ItemId = $"i-{i}", Price = 5m },
                new(0, i));

        Assert.InRange(user.BoughtInSession.Count, 1, UserFeatureState.MaxBoughtInSession);
        Assert.Contains("i-999", user.BoughtInSession);
        var bought = Assert.Single(user.DrainChanges().Set, f => f.Field == "bought");
        Assert.True(bought.Text.Split('\t').Length <= UserFeatureState.MaxBoughtInSession + 1);
    }

    [Fact]
    public void The_items_bought_in_a_session_survive_events_without_one_and_a_restore_and_a_new_session_forgets_them()
    {
        var user = new UserFeatureState("u1");
        user.Apply(View("a", T0), new(0, 0));
        user.Apply(new ClickEvent { EventId = "buy", EventTime = T0.AddMinutes(1), UserId = "u1", SessionId = "s1", Type = EventType.Purchase, ItemId = "a", Price = 5m }, new(0, 1));
        user.Apply(new ClickEvent { EventId = "bid", EventTime = T0.AddMinutes(2), UserId = "u1", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = "r", Imp = [new Impression { Id = "1" }], CandidateCampaigns = [] } }, new(0, 2));
        Assert.Equal("s1", user.CurrentSession);
        Assert.Equal(["a"], user.BoughtInSession);

        var restored = new UserFeatureState("u1");
        restored.Restore(user.DrainChanges().Set.Select(f => KeyValuePair.Create(f.Field, f.Text)));
        Assert.Equal("s1", restored.CurrentSession);
        Assert.Equal(["a"], restored.BoughtInSession);

        restored.Apply(View("b", T0.AddMinutes(30), session: "s2"), new(0, 3));
        Assert.Empty(restored.BoughtInSession);
        var again = new UserFeatureState("u1");
        again.Restore(user.DrainChanges().Set.Concat(restored.DrainChanges().Set).Select(f => KeyValuePair.Create(f.Field, f.Text)));
        Assert.Equal("s2", again.CurrentSession);
        Assert.Empty(again.BoughtInSession);
    }

    /// <summary>
    /// A user back on an earlier session (two devices, two tabs) has what they bought there left out again, also from what is
    /// stored; a late purchase of an earlier session counts there; only the latest earlier sessions are kept. Before
    /// 2026-12-07 a move to another session forgot what the previous one bought, and the return offered it again (a review).
    /// </summary>
    [Fact]
    public void A_return_to_an_earlier_session_leaves_out_again_what_was_bought_there_also_after_a_restore()
    {
        ClickEvent Buy(string item, DateTimeOffset at, string session) =>
            new() { EventId = "buy-" + item, EventTime = at, UserId = "u1", SessionId = session, Type = EventType.Purchase, ItemId = item, Price = 5m };
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0, session: "s1"), new(0, 0));
        user.Apply(Buy("a", T0.AddMinutes(1), "s1"), new(0, 1));
        user.Apply(View("b", T0.AddMinutes(2), session: "s2"), new(0, 2));
        Assert.Empty(user.BoughtInSession);
        user.Apply(View("c", T0.AddMinutes(3), session: "s1"), new(0, 3));
        Assert.Equal("s1", user.CurrentSession);
        Assert.Equal(["a"], user.BoughtInSession);

        var restored = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        restored.Restore(user.DrainChanges().Set.Select(f => KeyValuePair.Create(f.Field, f.Text)));
        Assert.Equal(["a"], restored.BoughtInSession);
        restored.Apply(View("d", T0.AddMinutes(4), session: "s2"), new(0, 4));
        Assert.Empty(restored.BoughtInSession);
        restored.Apply(Buy("y", T0.AddMinutes(3.5), "s1"), new(0, 5)); // late: s2 stays current, y counts in s1
        Assert.Equal(("s2", 0), (restored.CurrentSession, restored.BoughtInSession.Count));
        var again = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        again.Restore(user.DrainChanges().Set.Concat(restored.DrainChanges().Set).Select(f => KeyValuePair.Create(f.Field, f.Text)));
        again.Apply(View("e", T0.AddMinutes(5), session: "s1"), new(0, 6));
        Assert.Equal(["a", "y"], again.BoughtInSession.Order());

        // Each earlier session that bought something is kept, the latest first, up to the bound: the oldest is forgotten.
        for (var i = 0; i <= UserFeatureState.EarlierSessionsKept; i++)
        {
            again.Apply(View("v", T0.AddMinutes(6 + 2 * i), session: $"n{i}"), new(0, 7 + 2 * i));
            again.Apply(Buy($"z{i}", T0.AddMinutes(7 + 2 * i), $"n{i}"), new(0, 8 + 2 * i));
        }
        again.Apply(View("w", T0.AddMinutes(20), session: "s1"), new(0, 20));
        Assert.Empty(again.BoughtInSession); // s1 was the oldest of those kept
        again.Apply(View("w", T0.AddMinutes(21), session: "n1"), new(0, 21));
        Assert.Equal(["z1"], again.BoughtInSession);
    }

    /// <summary>
    /// A late purchase that is an earlier session's first (stamped behind another device's session) counts there too: before
    /// the fix of 2026-12-07's review it was recorded only in a session that had bought something already.
    /// </summary>
    [Fact]
    public void A_late_first_purchase_of_an_earlier_session_is_left_out_on_the_return_to_it()
    {
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0, session: "s1"), new(0, 0));
        user.Apply(View("b", T0.AddMinutes(2), session: "s2"), new(0, 1));
        user.Apply(new ClickEvent { EventId = "buy", EventTime = T0.AddMinutes(1), UserId = "u1", SessionId = "s1", Type = EventType.Purchase, ItemId = "a", Price = 5m },
            new(0, 2));
        Assert.Equal("s2", user.CurrentSession);
        Assert.Empty(user.BoughtInSession);
        var restored = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        restored.Restore(user.DrainChanges().Set.Select(f => KeyValuePair.Create(f.Field, f.Text)));
        restored.Apply(View("c", T0.AddMinutes(3), session: "s1"), new(0, 3));
        Assert.Equal(["a"], restored.BoughtInSession);
    }

    /// <summary>
    /// A session that bought nothing writes no bought field: restored, the state still knows it is the current session, so
    /// a server-side purchase (no session) made in it is remembered at its next view, and a late purchase of it joins it.
    /// </summary>
    [Fact]
    public void A_restored_state_keeps_its_current_session_when_nothing_was_bought_in_it()
    {
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0), new(0, 0));
        var restored = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        restored.Restore(user.DrainChanges().Set.Select(f => KeyValuePair.Create(f.Field, f.Text)));
        Assert.Equal("s1", restored.CurrentSession);

        restored.Apply(new ClickEvent { EventId = "buy", EventTime = T0.AddMinutes(1), UserId = "u1", Type = EventType.Purchase, ItemId = "x", Price = 5m }, new(0, 1));
        restored.Apply(View("b", T0.AddMinutes(2)), new(0, 2));
        Assert.Equal(["x"], restored.BoughtInSession); // before 2026-12-06: forgotten, and "x" offered again in s1
        restored.Apply(new ClickEvent { EventId = "late-buy", EventTime = T0.AddMinutes(1), UserId = "u1", SessionId = "s1", Type = EventType.Purchase, ItemId = "y", Price = 5m }, new(0, 3));
        Assert.Equal(["x", "y"], restored.BoughtInSession.Order());

        // A bought field naming an earlier session (its items bought there) gives way to the session field's.
        var stale = new UserFeatureState("u1");
        stale.Restore([KeyValuePair.Create("bought", "s0	old"), KeyValuePair.Create("session", "s1	a")]);
        Assert.Equal("s1", stale.CurrentSession);
        Assert.Empty(stale.BoughtInSession);
    }

    [Fact]
    public void An_open_churn_episode_is_written_restored_and_deleted_when_it_closes_and_a_full_rewrite_carries_it()
    {
        var user = new UserFeatureState("u1");
        user.Apply(View("a", T0), new(0, 0));
        user.DrainChanges();
        user.SetChurnEpisode("alert-1", "v-9");
        var opened = user.DrainChanges();
        Assert.Equal([(UserFeatureState.ChurnAlertField, "alert-1\tv-9")], opened.Set.Select(f => (f.Field, f.Text)));
        Assert.True(user.DrainChanges().IsEmpty); // written once
        user.SetChurnEpisode("alert-1", "v-9");
        Assert.True(user.DrainChanges().IsEmpty); // unchanged: nothing to write

        var restored = new UserFeatureState("u1");
        restored.Restore([KeyValuePair.Create(UserFeatureState.ChurnAlertField, "alert-1\tv-9")]);
        Assert.Equal(("alert-1", "v-9"), (restored.ChurnAlertId, restored.ChurnOpenedBy));
        restored.MarkAllChanged();
        Assert.Contains((UserFeatureState.ChurnAlertField, "alert-1\tv-9"), restored.DrainChanges().Set.Select(f => (f.Field, f.Text)));

        restored.SetChurnEpisode(null, null);
        var closed = restored.DrainChanges();
        Assert.Equal([UserFeatureState.ChurnAlertField], closed.Delete);
        Assert.Empty(closed.Set);
    }

    [Fact]
    public void A_late_event_of_the_previous_session_neither_moves_the_session_back_nor_forgets_what_it_bought()
    {
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0, session: "s2"), new(0, 0));
        user.Apply(new ClickEvent { EventId = "buy", EventTime = T0.AddMinutes(1), UserId = "u1", SessionId = "s2", Type = EventType.Purchase, ItemId = "x", Price = 5m }, new(0, 1));
        Assert.Equal(ApplyOutcome.Applied, user.Apply(View("b", T0.AddMinutes(-4), session: "s1"), new(0, 2))); // late, within the lateness
        user.Apply(View("c", T0.AddMinutes(2), session: "s2"), new(0, 3));
        Assert.Equal("s2", user.CurrentSession);
        Assert.Equal(["x"], user.BoughtInSession);
    }

    [Fact]
    public void A_purchase_too_late_for_the_windows_still_counts_as_bought_in_its_session()
    {
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0, session: "s1"), new(0, 0));
        var late = new ClickEvent { EventId = "buy", EventTime = T0.AddMinutes(-15), UserId = "u1", SessionId = "s1", Type = EventType.Purchase, ItemId = "x", Price = 5m };
        Assert.Equal(ApplyOutcome.Late, user.Apply(late, new(0, 1)));
        Assert.Equal(["x"], user.BoughtInSession);
        Assert.Contains(user.DrainChanges().Set, f => f.Field == "bought");
        // One of an earlier session is not: it neither moves the session nor joins what this one bought.
        user.Apply(late with { EventId = "buy-2", SessionId = "s0", ItemId = "y" }, new(0, 2));
        Assert.Equal(["x"], user.BoughtInSession);
    }

    [Fact]
    public void A_late_view_of_the_previous_session_leaves_the_current_sessions_items_and_co_visits()
    {
        // Before 2026-12-06 it replaced them: the session's items became [c] and c had no co-visits.
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0, session: "s2"), new(0, 0));
        user.Apply(View("b", T0.AddMinutes(1), session: "s2"), new(0, 1));
        user.Apply(View("d", T0.AddMinutes(-4), session: "s1"), new(0, 2)); // late, within the lateness
        var coVisited = new List<string>();
        user.Apply(View("c", T0.AddMinutes(2), session: "s2"), new(0, 3), coVisited);
        Assert.Equal(["b", "a"], coVisited);
        Assert.Equal(["c", "b", "a"], user.SessionItems);
    }

    /// <summary>
    /// Two views of one session read out of order (a mobile SDK's batch): the older goes behind the newer, which stays the
    /// session's last click. Before 2026-12-07 the older became the last click, and its list replaced the newer page's (a review).
    /// </summary>
    [Fact]
    public void A_view_read_after_a_newer_one_of_its_session_goes_behind_it()
    {
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0, session: "s1"), new(0, 0));
        user.Apply(View("c", T0.AddSeconds(10), session: "s1"), new(0, 1));
        user.Apply(View("b", T0.AddSeconds(5), session: "s1"), new(0, 2)); // read after c
        Assert.Equal(["c", "b", "a"], user.SessionItems);
        user.Apply(View("d", T0.AddSeconds(20), session: "s1"), new(0, 3));
        Assert.Equal(["d", "c", "b", "a"], user.SessionItems);
        // Only views order views: a cart add read before an earlier view leaves that view the last click (a review of the change).
        user.Apply(new ClickEvent { EventId = "cart", EventTime = T0.AddSeconds(40), UserId = "u1", SessionId = "s1", Type = EventType.AddToCart, ItemId = "d" }, new(0, 4));
        user.Apply(View("e", T0.AddSeconds(30), session: "s1"), new(0, 5));
        Assert.Equal(["e", "d", "c", "b", "a"], user.SessionItems);
    }

    /// <summary>
    /// Sessions are judged on the clock of events that carry one: before 2026-12-07 a bid request stamped a minute ahead
    /// (the exchange's clock) made a new session's purchase read as a late event of the old session, and the item just
    /// bought was offered again (review). The clock is kept with the features, so a restored state judges alike.
    /// </summary>
    [Theory]
    [InlineData(2)] // within the lateness: the purchase is applied
    [InlineData(15)] // past it: the purchase is late for the windows, and still bought in its session
    public void An_event_without_a_session_stamped_ahead_does_not_hide_a_new_sessions_purchase(int bidAheadMinutes)
    {
        var user = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        user.Apply(View("a", T0, session: "s1"), new(0, 0));
        user.Apply(new ClickEvent
        {
            EventId = "bid", EventTime = T0.AddMinutes(bidAheadMinutes), UserId = "u1", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = "r", Imp = [new Impression { Id = "1", BidFloor = 0.1m }], CandidateCampaigns = ["c-1"], Tmax = 100 },
        }, new(0, 1));
        user.Apply(new ClickEvent
        {
            EventId = "buy", EventTime = T0.AddMinutes(1), UserId = "u1", SessionId = "s2", Type = EventType.Purchase, ItemId = "x", Category = "shoes", Price = 10m,
        }, new(0, 2));
        var restored = new UserFeatureState("u1", TimeSpan.FromMinutes(10));
        restored.Restore(user.DrainChanges().Set.Select(f => KeyValuePair.Create(f.Field, f.Text)));

        foreach (var state in new[] { user, restored })
        {
            state.Apply(View("y", T0.AddMinutes(bidAheadMinutes + 1), session: "s2"), new(0, 3));
            Assert.Equal("s2", state.CurrentSession);
            Assert.Contains("x", state.BoughtInSession);
            Assert.Equal(["y"], state.SessionItems);
        }
        // A late view of the old session still moves nothing.
        user.Apply(View("b", T0.AddMinutes(bidAheadMinutes - 1), session: "s1"), new(0, 4));
        Assert.Equal("s2", user.CurrentSession);
        Assert.Equal(["y"], user.SessionItems);
    }

    [Fact]
    public void A_replayed_offset_is_a_duplicate_even_with_a_new_event_time()
    {
        var user = new UserFeatureState("u1");
        user.Apply(View("a", T0), new(3, 41));
        Assert.Equal(ApplyOutcome.Duplicate, user.Apply(View("a", T0.AddSeconds(5)), new(3, 41)));
        Assert.Equal(ApplyOutcome.Applied, user.Apply(View("a", T0.AddSeconds(5)), new(4, 41)));
    }

    [Fact]
    public void Windows_slide_with_the_read_time_not_the_machine_clock()
    {
        var user = new UserFeatureState("u1");
        user.Apply(View("a", T0), new(0, 0));
        var schema = UserFeatures.Schema(["product_view_5m", "product_view_1h", "product_view_24h", "seconds_since_last_event"]);
        Assert.Equal([1f, 1f, 1f, 0f], FeatureAssert.Read(schema, user, user.ReadTimeMs(T0)));
        Assert.Equal([0f, 1f, 1f, 600f], FeatureAssert.Read(schema, user, user.ReadTimeMs(T0.AddMinutes(10))));
        Assert.Equal([0f, 0f, 0f, 86_400f * 2], FeatureAssert.Read(schema, user, user.ReadTimeMs(T0.AddDays(2))));
    }

    [Fact]
    public void A_new_campaign_reads_the_prior_rates_not_zero()
    {
        var campaign = new CampaignFeatureState("k1");
        var rates = FeatureAssert.Read(CampaignFeatures.Schema(["smoothed_ctr_24h", "smoothed_cvr_24h"]), campaign, campaign.ReadTimeMs(T0));
        Assert.Equal([0.01f, 0.05f], rates);
    }

    [Fact]
    public void A_forwarded_event_sent_again_at_a_new_offset_counts_once_by_its_origin_and_after_a_reload()
    {
        var impression = new ClickEvent
        {
            EventId = "e1", EventTime = T0, UserId = "u1", SessionId = "s1", Type = EventType.AdImpression, CampaignId = "k1", Price = 0.5m,
        };
        var campaign = new CampaignFeatureState("k1");
        Assert.Equal(ApplyOutcome.Applied, campaign.Apply(impression, position: new(0, 7001), origin: new(3, 41)));
        // The user stream replayed clickstream 3:41 and forwarded it again: a new campaign-events offset, the same origin.
        Assert.Equal(ApplyOutcome.Duplicate, campaign.Apply(impression, position: new(0, 7450), origin: new(3, 41)));
        // Another clickstream partition's offsets are its own.
        Assert.Equal(ApplyOutcome.Applied, campaign.Apply(impression with { EventId = "e2" }, position: new(0, 7451), origin: new(2, 41)));

        var reloaded = new CampaignFeatureState("k1");
        reloaded.Restore(campaign.DrainChanges().Set.Select(f => KeyValuePair.Create(f.Field, f.Text)));
        Assert.Equal(ApplyOutcome.Duplicate, reloaded.Apply(impression, position: new(1, 9), origin: new(3, 41)));
        Assert.Equal(ApplyOutcome.Applied, reloaded.Apply(impression with { EventId = "e3" }, position: new(1, 10), origin: new(3, 42)));
        Assert.Equal(1.5, reloaded.SpentTotal, 6);
        var impressions = FeatureAssert.Read(CampaignFeatures.Schema(["impressions_24h"]), reloaded, reloaded.ReadTimeMs(T0));
        Assert.Equal([3f], impressions);
    }

    [Fact]
    public void A_campaign_counts_the_events_of_a_partition_that_lags_the_others_and_their_spend()
    {
        var impression = new ClickEvent
        {
            EventId = "e1", EventTime = T0, UserId = "u1", SessionId = "s1", Type = EventType.AdImpression, CampaignId = "k1", Price = 1m,
        };
        var campaign = new CampaignFeatureState("k1", TimeSpan.FromMinutes(10));
        Assert.Equal(ApplyOutcome.Applied, campaign.Apply(impression, new(0, 1), origin: new(0, 1)));
        // Clickstream partition 1 catches up after a restart: its impression is 11 minutes behind partition 0's. Refused as
        // late, it was lost to the counts and to the spend budgets are checked against.
        Assert.Equal(ApplyOutcome.Applied, campaign.Apply(impression with { EventId = "e2", EventTime = T0.AddMinutes(-11) }, new(0, 2), origin: new(1, 1)));
        Assert.Equal(2.0, campaign.SpentTotal, 6);
        var counts = FeatureAssert.Read(CampaignFeatures.Schema(["impressions_24h", "impressions_1m"]), campaign, campaign.ReadTimeMs(T0));
        Assert.Equal([2f, 1f], counts); // the windows that still reach it count it; the last minute does not
    }

    /// <summary>
    /// At the first tick of an hour the pacer reads the 24 hours before it (to the end of the hour just completed), after the
    /// tick's own event moved the campaign into the new hour: with 24 hours kept, that event had pruned the oldest of them,
    /// and the day's delivery read 23 hours once an hour (review, 2026-12-07).
    /// </summary>
    [Fact]
    public void The_24_hours_before_an_hours_first_minute_are_still_held_after_an_event_of_that_minute()
    {
        var impression = new ClickEvent
        {
            EventId = "e1", EventTime = T0.AddMinutes(30), UserId = "u1", SessionId = "s1", Type = EventType.AdImpression, CampaignId = "k1", Price = 0.5m,
        };
        var campaign = new CampaignFeatureState("k1");
        campaign.Apply(impression, position: new(0, 1), origin: new(0, 1)); // yesterday 12:30
        var nextDay = T0.AddDays(1); // 12:00 the next day: the tick of minute 12:00 reads up to 11:59:59.999
        campaign.Apply(impression with { EventId = "e2", EventTime = nextDay.AddSeconds(5) }, position: new(0, 2), origin: new(0, 2));

        var hourBefore = nextDay.ToUnixTimeMilliseconds() - 1;
        Assert.Equal(1, campaign.Hours.Sum(CampaignFeatureState.Impressions, 24, hourBefore));
        Assert.Equal(1, CampaignDelivery.Of(campaign, hourBefore).Impressions24h);
    }

    /// <summary>Offsets are kept in arrays by partition: a partition beyond any real topic is refused, and one stored before the bound is ignored.</summary>
    [Fact]
    public void A_partition_beyond_any_real_topic_is_refused_and_ignored_when_stored()
    {
        var offsets = new Engine.Models.Features.State.PartitionOffsets("src:");
        Assert.Throws<ArgumentOutOfRangeException>(() => offsets.Record(new EventPosition(int.MaxValue, 1)));
        Assert.True(offsets.TryRestore("src:1000000000", "5"));
        Assert.True(offsets.TryRestore("src:1024", "5"));
        Assert.True(offsets.TryRestore("src:3", "7"));
        Assert.Equal(new Dictionary<int, long> { [3] = 7 }, offsets.Covered);
    }

    [Fact]
    public void Items_viewed_in_one_session_become_neighbours_of_each_other_and_not_across_sessions()
    {
        var states = new ScenarioStates(TimeSpan.FromMinutes(10)).Apply(
        [
            (View("a", T0), new(0, 0)),
            (View("b", T0.AddSeconds(1)), new(0, 1)),
            (View("a", T0.AddSeconds(2)), new(0, 2)),
            (View("c", T0.AddSeconds(3), session: "s2"), new(0, 3)),
        ]);
        Assert.Equal([("b", 2L)], states.Items["a"].Neighbours.Top(5));
        Assert.Equal([("a", 2L)], states.Items["b"].Neighbours.Top(5));
        Assert.Empty(states.Items["c"].Neighbours.Top(5));
    }

    /// <summary>
    /// Co-visitation has no window: a view late for its own item's buckets still pairs with the session's earlier items. Before
    /// 2026-12-07 the earlier item counted the pair and the late one did not, so each such pair counted in one direction
    /// only, for good (replays repeat it; review).
    /// </summary>
    [Fact]
    public void A_view_late_for_its_items_buckets_still_counts_its_co_visits_in_both_directions()
    {
        var lateness = TimeSpan.FromMinutes(10);
        var x = new ItemFeatureState("x", lateness) { Slice = 0 };
        var a = new ItemFeatureState("a", lateness) { Slice = 0 };
        a.Apply(View("a", T0.AddMinutes(14)), new(0, 1));
        x.Apply(View("x", T0.AddMinutes(30)), new(0, 2)); // another shopper: x's clock is at 12:30
        // This shopper's phone uploads late: a at 12:14, then x at 12:15, in one session (x is late for its buckets).
        Assert.Equal(ApplyOutcome.Late, x.Apply(View("x", T0.AddMinutes(15)), new(0, 3), ["a"]));
        a.AddCoVisit("x", new(0, 3));

        Assert.Equal([("x", 1L)], a.Neighbours.Top(5));
        Assert.Equal([("a", 1L)], x.Neighbours.Top(5));
        // Its buckets stay as they were, and a replay of it pairs nothing again.
        Assert.Equal(ApplyOutcome.Duplicate, x.Apply(View("x", T0.AddMinutes(15)), new(0, 3), ["a"]));
        Assert.Equal([("a", 1L)], x.Neighbours.Top(5));
    }

    /// <summary>
    /// A slice that hears only co-visits (its item viewed earlier in sessions that go on) renews its key's TTL by them: before
    /// 2026-12-07 only its own events did, and after a month the key expired under it and its next write re-created it without
    /// a TTL (review).
    /// </summary>
    [Fact]
    public void A_slice_that_hears_only_co_visits_still_renews_its_keys_ttl()
    {
        var slice = new ItemFeatureState("a") { Slice = 0 };
        slice.Apply(View("a", T0), new(0, 1));
        Assert.True(slice.DrainChanges().RenewTtl);

        slice.AddCoVisit("x", new(0, 2), T0.AddHours(2).ToUnixTimeMilliseconds());
        Assert.False(slice.DrainChanges().RenewTtl); // once a day
        slice.AddCoVisit("y", new(0, 3), T0.AddDays(2).ToUnixTimeMilliseconds());
        Assert.True(slice.DrainChanges().RenewTtl);
    }

    [Fact]
    public void A_schema_with_an_unknown_feature_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => UserFeatures.Schema(["product_view_1h", "mood_24h"]));
        Assert.Contains("mood_24h", error.Message);
    }

    [Fact]
    public void Every_agreed_name_has_exactly_one_definition_in_the_agreed_order()
    {
        Assert.Equal(FeatureNames.User, UserFeatures.Definitions.Select(d => d.Name));
        Assert.Equal(FeatureNames.Campaign, CampaignFeatures.Definitions.Select(d => d.Name));
        Assert.Equal(FeatureNames.Item, ItemFeatures.Definitions.Select(d => d.Name));
    }
}
