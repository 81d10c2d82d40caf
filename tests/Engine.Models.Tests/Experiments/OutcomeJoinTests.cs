using Engine.Models.Contracts;
using Engine.Models.Experiments.Outcomes;

namespace Engine.Models.Tests.Experiments;

/// <summary>The experiments report's join and intervals on a stream small enough to count by hand.</summary>
public sealed class OutcomeJoinTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory] // Published Wilson 95% intervals (Newcombe 1998, table I; Agresti & Coull 1998)
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(2, 4, 0.1500, 0.8500)]
    [InlineData(1, 5, 0.0362, 0.6245)]
    public void Wilson_intervals_match_the_published_values(long successes, long trials, double low, double high)
    {
        var p = Proportion.Of(successes, trials);
        Assert.Equal(low, p.Low, 4);
        Assert.Equal(high, p.High, 4);
    }

    [Fact]
    public void The_difference_interval_matches_newcombes_worked_example()
    {
        // Newcombe 1998 (Statistics in Medicine 17, 873), example (a): 56/70 against 48/80, method 10: 0.0524 to 0.3339.
        var d = Difference.Between(champion: Proportion.Of(48, 80), challenger: Proportion.Of(56, 70));
        Assert.Equal(0.2, d.Value, 4);
        Assert.Equal(0.0524, d.Low, 4);
        Assert.Equal(0.3339, d.High, 4);
    }

    [Fact]
    public void Outcomes_are_joined_per_variant_within_their_windows()
    {
        ClickEvent[] stream =
        [
            // a: champion list [X, Y]; views X after 10 min (click-through) and buys it after 20 (conversion).
            Event("a1", "a", 0, EventType.ProductView, "A"), Event("a2", "a", 10, EventType.ProductView, "X"), Event("a3", "a", 20, EventType.Purchase, "X"),
            // b: champion list [X]; views X only after 45 min: outside the 30-minute click window, and never buys.
            Event("b1", "b", 0, EventType.ProductView, "B"), Event("b2", "b", 45, EventType.ProductView, "X"),
            // c: challenger list [Z]; views Z after 5 min, never buys.
            Event("c1", "c", 0, EventType.ProductView, "C"), Event("c2", "c", 5, EventType.ProductView, "Z"),
            // d: challenger list [Z]; buys Z after an hour: no click-through (30 min), a conversion (24 h).
            Event("d1", "d", 0, EventType.ProductView, "D"), Event("d2", "d", 60, EventType.Purchase, "Z"),
            // Bids at minute 100: a clicks the campaign's ad and buys 29 min later; b clicks another campaign's ad.
            Event("a4", "a", 100, EventType.BidRequest), Event("a5", "a", 101, EventType.AdClick, campaign: "k1"), Event("a6", "a", 130, EventType.Purchase, "W"),
            Event("b3", "b", 100, EventType.BidRequest), Event("b4", "b", 101, EventType.AdClick, campaign: "k2"),
            Event("c3", "c", 100, EventType.BidRequest),
            // Churn: e comes back on day 4 after a day-3 alert, f never does; z's event ends the stream on day 12.
            Event("e1", "e", 0, EventType.ProductView, "E"), Event("e2", "e", 4 * 1440, EventType.ProductView, "E"),
            Event("f1", "f", 0, EventType.ProductView, "F"), Event("z1", "z", 12 * 1440, EventType.ProductView, "Z"),
        ];
        IDecision[] decisions =
        [
            Rec("r1", "a1", "a", "champion", "X", "Y"), Rec("r2", "b1", "b", "champion", "X"),
            Rec("r3", "c1", "c", "challenger", "Z"), Rec("r3", "c1", "c", "challenger", "Z"), // a replay: counted once
            Rec("r4", "d1", "d", "challenger", "Z"),
            BidOn("x1", "a4", "a", "champion", "k1", true), BidOn("x2", "b3", "b", "champion", "k1", true), BidOn("x3", "c3", "c", "challenger", null, false),
            Alert("h1", Sweep(3), "e", "champion"), Alert("h2", Sweep(3), "f", "challenger"),
            Alert("h3", Sweep(8), "g", "champion"), // day 8 + 7 > day 12: censored
            Rec("r5", "ghost", "a", "champion", "X"), // cause not in the stream: unmatched
        ];

        var report = OutcomeJoin.Run(stream, decisions, OutcomeWindows.Default);

        var rates = report.Rows.ToDictionary(r => $"{r.Kind}/{r.Outcome}/{r.Variant}", r => (r.Rate.Successes, r.Rate.Trials));
        Assert.Equal(new Dictionary<string, (long, long)>
        {
            ["recommendation/click_through/champion"] = (1, 2), ["recommendation/click_through/challenger"] = (1, 2),
            ["recommendation/conversion/champion"] = (1, 2), ["recommendation/conversion/challenger"] = (1, 2),
            ["bid/click_through/champion"] = (1, 2), ["bid/conversion/champion"] = (1, 2),
            ["churn_alert/follow_up/champion"] = (1, 1), ["churn_alert/follow_up/challenger"] = (0, 1),
        }, rates);
        Assert.Equal((11L, 1L, 1L, 19L), (report.Decisions, report.Unmatched, report.Censored, report.Events));

        // 1 of 2: Wilson 0.0945 to 0.9055; 1 of 1: 0.2065 to 1; 0 of 1: 0 to 0.7935.
        var churn = report.Rows.Where(r => r.Kind == OutcomeJoin.ChurnAlert).ToDictionary(r => r.Variant, r => r.Rate);
        Assert.Equal((0.2065, 1.0), (Math.Round(churn["champion"].Low, 4), churn["champion"].High));
        Assert.Equal((0.0, 0.7935), (churn["challenger"].Low, Math.Round(churn["challenger"].High, 4)));
        var ctr = report.Rows.Single(r => r is { Kind: OutcomeJoin.Recommendation, Outcome: OutcomeJoin.ClickThrough, Variant: "champion" }).Rate;
        Assert.Equal((0.0945, 0.9055), (Math.Round(ctr.Low, 4), Math.Round(ctr.High, 4)));

        // Challenger (0 of 1: 0 to 0.7935) minus champion (1 of 1: 0.2065 to 1) = -1; Newcombe: low = -1 - sqrt((0 - 0)^2 + (1 - 1)^2) = -1,
        // high = -1 + sqrt((0.7935 - 0)^2 + (1 - 0.2065)^2) = 0.122: one user per arm proves nothing.
        var follow = Assert.Single(report.Differences, d => d.Kind == OutcomeJoin.ChurnAlert);
        Assert.Equal(("champion", "challenger", -1.0), (follow.Baseline, follow.Variant, follow.Difference.Value));
        Assert.Equal(-1.0, follow.Difference.Low, 4);
        Assert.Equal(0.122, follow.Difference.High, 3);
        Assert.DoesNotContain(report.Differences, d => d.Kind == OutcomeJoin.Bid); // one variant only: nothing to compare
    }

    [Fact]
    public void Decisions_before_from_are_left_out()
    {
        ClickEvent[] stream = [Event("a1", "a", 0, EventType.ProductView, "A"), Event("a2", "a", 100, EventType.ProductView, "B"), Event("a3", "a", 105, EventType.ProductView, "X")];
        IDecision[] decisions = [Rec("r1", "a1", "a", "champion", "B"), Rec("r2", "a2", "a", "champion", "X")];
        var report = OutcomeJoin.Run(stream, decisions, OutcomeWindows.Default, from: T0.AddMinutes(50));
        var row = Assert.Single(report.Rows, r => r.Outcome == OutcomeJoin.ClickThrough);
        Assert.Equal((1L, 1L), (row.Rate.Successes, row.Rate.Trials));
        // The header counts what is in scope too (before 2026-12-07 also what was read before from: 3 events, 2 decisions).
        Assert.Equal((2L, 1L, T0.AddMinutes(100)), (report.Events, report.Decisions, report.StreamStart));
    }

    private static string Sweep(int day) => $"sweep:0:{T0.AddDays(day).ToUnixTimeMilliseconds()}";

    private static ClickEvent Event(string id, string user, double minute, EventType type, string? item = null, string? campaign = null) => new()
    {
        EventId = id, EventTime = T0.AddMinutes(minute), UserId = user, SessionId = user + "-s", Type = type, ItemId = item, CampaignId = campaign,
    };

    private static Recommendation Rec(string id, string cause, string user, string variant, params string[] items) => new()
    {
        DecisionId = id, CausedBy = cause, DecidedAt = DateTimeOffset.UtcNow, ModelVersion = "m", Reasons = [], UserId = user, Variant = variant,
        Items = items.Select(i => new RecommendedItem(i, 0.5, "co_visited")).ToList(),
    };

    private static BidDecision BidOn(string id, string cause, string user, string variant, string? campaign, bool bid) => new()
    {
        DecisionId = id, CausedBy = cause, DecidedAt = DateTimeOffset.UtcNow, ModelVersion = "m", Reasons = [], UserId = user, Variant = variant,
        RequestId = id + "-req", Bid = bid, CampaignId = campaign,
    };

    private static ChurnAlert Alert(string id, string cause, string user, string variant) => new()
    {
        DecisionId = id, CausedBy = cause, DecidedAt = DateTimeOffset.UtcNow, ModelVersion = "m", Reasons = [], UserId = user, Variant = variant,
        Probability = 0.8, Threshold = 0.7,
    };
}
