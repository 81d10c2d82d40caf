using Engine.Models.Contracts;
using Engine.Models.Decisions;

namespace Engine.Models.Tests.Decisions;

public sealed class CampaignBoardTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static CampaignSpec Spec(decimal budget) => new()
    {
        CampaignId = "c-1", Budget = budget, FlightStart = Start, FlightEnd = Start.AddDays(30), Category = "shoes",
        ValuePerClick = 2m, ValuePerConversion = 20m, MaxCpm = 20m,
    };

    private static BidAdjustment Exhausted(decimal spent) => new()
    {
        DecisionId = "d-1", CausedBy = "e-1", DecidedAt = Start, ModelVersion = "pacer", Reasons = [], CampaignId = "c-1",
        Multiplier = 0, PreviousMultiplier = 0.8, SpentTotal = spent, BudgetExhausted = true,
    };

    [Fact]
    public void An_exhausted_campaign_bids_again_once_a_booking_raises_its_budget_above_its_spend()
    {
        var board = new CampaignBoard();
        board.Book(Spec(100m));
        board.Adjust(Exhausted(100m));
        Assert.True(board.TryGet("c-1", out var exhausted));
        Assert.False(exhausted.BudgetLeft);

        board.Book(Spec(90m)); // lowered: still spent
        Assert.True(board.TryGet("c-1", out var lowered));
        Assert.Equal((false, 0.0), (lowered.BudgetLeft, lowered.Multiplier));

        board.Book(Spec(250m)); // raised above the spend: it must bid again, or no event would ever tell its actor
        Assert.True(board.TryGet("c-1", out var raised));
        Assert.Equal((true, 1.0, 250m), (raised.BudgetLeft, raised.Multiplier, raised.Spec.Budget));
        var bid = BidPricer.Best([new BidCandidate(raised.Spec, 0.05, raised.SmoothedCvr, raised.Multiplier, raised.BudgetLeft)], 0.01m, Start.AddDays(1));
        Assert.Null(bid.NoBid);
        Assert.NotNull(bid.Winner);
    }

    /// <summary>
    /// Read before the campaign's booking: the new owner's exhaustion, then a previous owner's adjustment decided before it
    /// (produced late). The board keeps the one decided last; before 2026-12-06 it kept the one read last, and bid again.
    /// </summary>
    [Fact]
    public void Of_the_adjustments_read_before_a_booking_the_latest_decided_counts()
    {
        var board = new CampaignBoard();
        board.Adjust(Exhausted(100m) with { DecidedAt = Start.AddMinutes(2) });
        board.Adjust(Exhausted(80m) with { DecisionId = "d-late", DecidedAt = Start.AddMinutes(1), Multiplier = 1.3, BudgetExhausted = false });
        board.Book(Spec(100m));

        Assert.True(board.TryGet("c-1", out var snapshot));
        Assert.Equal((false, 0.0), (snapshot.BudgetLeft, snapshot.Multiplier));
    }

    [Fact]
    public void A_restarted_node_reading_a_raised_booking_and_the_old_exhausted_adjustment_in_either_order_bids_again()
    {
        // The compacted topics keep the latest booking (raised to 250) and the latest adjustment (exhausted at 100).
        var specFirst = new CampaignBoard();
        specFirst.Book(Spec(250m));
        specFirst.Adjust(Exhausted(100m));
        var adjustmentFirst = new CampaignBoard();
        adjustmentFirst.Adjust(Exhausted(100m));
        adjustmentFirst.Book(Spec(250m));
        foreach (var board in new[] { specFirst, adjustmentFirst })
        {
            Assert.True(board.TryGet("c-1", out var snapshot));
            Assert.Equal((true, 1.0), (snapshot.BudgetLeft, snapshot.Multiplier));
        }
        // Exhausted at its own budget: it stays so.
        var spent = new CampaignBoard();
        spent.Book(Spec(100m));
        spent.Adjust(Exhausted(100m));
        Assert.True(spent.TryGet("c-1", out var stays));
        Assert.False(stays.BudgetLeft);
    }

    [Fact]
    public void An_adjustment_decided_before_the_one_the_board_holds_arrived_late_and_changes_nothing()
    {
        // The previous owner's adjustment, produced after the campaign moved and its new owner sent the exhaustion.
        var board = new CampaignBoard();
        board.Book(Spec(100m));
        board.Adjust(Exhausted(100m) with { DecidedAt = Start.AddMinutes(10) });
        board.Adjust(Exhausted(90m) with { DecisionId = "d-0", DecidedAt = Start.AddMinutes(9), Multiplier = 1.1, BudgetExhausted = false });
        Assert.True(board.TryGet("c-1", out var snapshot));
        Assert.Equal((false, 0.0, 100.0), (snapshot.BudgetLeft, snapshot.Multiplier, snapshot.SpentTotal)); // before 2026-12-06: bidding again at 1.1

        // A later one applies, whatever its spend (its Redis state lost and its spend counted again from less, say).
        board.Book(Spec(200m));
        board.Adjust(Exhausted(40m) with { DecisionId = "d-2", DecidedAt = Start.AddMinutes(11), Multiplier = 1.3, BudgetExhausted = false });
        Assert.True(board.TryGet("c-1", out var later));
        Assert.Equal((true, 1.3, 40.0), (later.BudgetLeft, later.Multiplier, later.SpentTotal));
    }

    [Fact]
    public void A_late_adjustment_decided_before_the_hosting_actors_own_view_changes_nothing()
    {
        // The campaign moved to this node; the previous owner's last adjustment (budget left) arrives late.
        var board = new CampaignBoard();
        board.Book(Spec(100m));
        var own = new CampaignDelivery(10, 0, 0, 100).Snapshot(Spec(100m), 0, Start.AddMinutes(10)); // its own actor: exhausted
        board.Publish(own);
        board.Adjust(Exhausted(97m) with { DecisionId = "d-0", DecidedAt = Start.AddMinutes(9), Multiplier = 1.8, BudgetExhausted = false });
        Assert.True(board.TryGet("c-1", out var snapshot));
        Assert.Equal((false, 0.0), (snapshot.BudgetLeft, snapshot.Multiplier)); // before 2026-12-06: bidding again at 1.8

        // Its next view replaces it even when stamped earlier (its clock stepped back), keeping the later stamp; a late
        // adjustment is still judged against that, and a later one (its own, read back) applies.
        board.Publish(new CampaignDelivery(10, 0, 0, 100).Snapshot(Spec(100m), 0, Start.AddMinutes(8)));
        Assert.True(board.TryGet("c-1", out var stepped));
        Assert.Equal(Start.AddMinutes(10), stepped.AdjustedAt);
        board.Adjust(Exhausted(97m) with { DecisionId = "d-00", DecidedAt = Start.AddMinutes(9), Multiplier = 1.8, BudgetExhausted = false });
        Assert.True(board.TryGet("c-1", out var kept));
        Assert.False(kept.BudgetLeft);
        board.Book(Spec(200m));
        board.Adjust(Exhausted(100m) with { DecisionId = "d-2", DecidedAt = Start.AddMinutes(11), Multiplier = 1.1, BudgetExhausted = false });
        Assert.True(board.TryGet("c-1", out var later));
        Assert.Equal((true, 1.1), (later.BudgetLeft, later.Multiplier));
    }

    [Fact]
    public void The_hosting_actors_view_read_under_an_older_booking_keeps_the_boards_newer_one()
    {
        var board = new CampaignBoard();
        board.Book(Spec(100m));
        board.Publish(new CampaignDelivery(10, 0, 0, 100).Snapshot(Spec(100m), 0, Start.AddMinutes(10))); // exhausted at 100
        board.Book(Spec(200m)); // the raise: the catalog, then the board

        // The actor read the catalog just before the raise and publishes under the old terms.
        board.Publish(new CampaignDelivery(10, 0, 0, 100).Snapshot(Spec(100m), 0, Start.AddMinutes(11)));

        Assert.True(board.TryGet("c-1", out var snapshot));
        Assert.Equal((200m, true), (snapshot.Spec.Budget, snapshot.BudgetLeft)); // before 2026-12-07: 100, exhausted, until its next step
    }

    [Fact]
    public void A_campaign_booked_with_no_budget_does_not_bid_and_its_exhaustion_is_written_without_a_NaN()
    {
        var board = new CampaignBoard();
        board.Book(Spec(0m)); // a paused campaign
        Assert.True(board.TryGet("c-1", out var paused));
        Assert.False(paused.BudgetLeft);

        var delivery = CampaignDelivery.Of(new Engine.Models.Features.CampaignFeatureState("c-1"), Start.ToUnixTimeMilliseconds());
        var step = CampaignPacer.Default.Exhaust(Spec(0m), delivery, PacingState.Initial, "e-1", exhaustedTick: 0);
        // As the decisions' topic writes it; JSON refuses NaN: this threw, and failed the campaign stream in a loop.
        var json = System.Text.Json.JsonSerializer.Serialize(step.Adjustment!, EngineJson.Default.BidAdjustment);
        Assert.Contains("\"budget_exhausted\":true", json);
    }

    [Fact]
    public void A_budget_spent_to_the_cent_in_many_small_prices_is_exhausted()
    {
        var state = new Engine.Models.Features.CampaignFeatureState("c-1");
        for (var i = 0; i < 1_000; i++)
            state.Apply(new ClickEvent { EventId = $"i{i}", EventTime = Start.AddSeconds(i), UserId = "u", Type = EventType.AdImpression, CampaignId = "c-1", Price = 0.01m },
                new Engine.Models.Features.EventPosition(0, i));
        Assert.True(state.SpentTotal < 10.0); // the double sum falls short of 10 by ~2e-13
        Assert.True(CampaignDelivery.Of(state, Start.AddHours(1).ToUnixTimeMilliseconds()).Exhausts(Spec(10m)));
    }

    [Fact]
    public void An_exhausted_adjustment_rounded_to_cents_below_an_odd_budget_still_stops_bids_and_a_cut_budget_stops_them_whatever_came_last()
    {
        // The actor saw 99.9945 spent of 99.994; the adjustment says 99.99: still spent, on every node.
        var odd = new CampaignBoard();
        odd.Book(Spec(99.994m));
        odd.Adjust(Exhausted(99.99m));
        Assert.True(odd.TryGet("c-1", out var spent));
        Assert.False(spent.BudgetLeft);

        // A budget cut below the spend, then the last ordinary adjustment (as a restarted node reads the compacted topics).
        var cut = new CampaignBoard();
        cut.Book(Spec(50m));
        cut.Adjust(Exhausted(60m) with { BudgetExhausted = false, Multiplier = 1.2 });
        Assert.True(cut.TryGet("c-1", out var over));
        Assert.False(over.BudgetLeft);
    }
}
