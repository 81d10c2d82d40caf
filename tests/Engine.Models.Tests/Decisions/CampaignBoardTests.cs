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
}
