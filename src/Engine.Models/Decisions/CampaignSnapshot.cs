using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Models.Decisions;

/// <summary>What a bidder knows of a campaign at a given moment: its booking, its pacing and its live delivery.</summary>
public sealed record CampaignSnapshot(
    CampaignSpec Spec,
    double Multiplier,
    double Impressions24h,
    double Clicks24h,
    double SmoothedCtr,
    double SmoothedCvr,
    bool BudgetLeft,
    double SpentTotal = 0,
    DateTimeOffset AdjustedAt = default)
{
    /// <summary>Just booked, nothing delivered: multiplier 1 and the priors; a budget of 0 (a paused campaign) has none left.</summary>
    public static CampaignSnapshot Booked(CampaignSpec spec) =>
        new(spec, 1.0, 0, 0, CampaignFeatures.PriorCtr, CampaignFeatures.PriorCvr, BudgetLeft: spec.Budget > 0);

    /// <summary>
    /// An adjustment applied. One that says the budget was exhausted keeps the campaign from bidding only while its spend
    /// still reaches the booked budget: a node that reads a raised booking and the old exhausted adjustment (in either order,
    /// as a restarted node does from the compacted topics) bids again, as the node that saw the raise live does.
    /// </summary>
    public CampaignSnapshot Adjusted(BidAdjustment adjustment)
    {
        // An adjustment decided before the one this snapshot holds arrived late (a previous owner's, produced after the
        // campaign's partition moved and its new owner sent the exhaustion): before 2026-12-06 it replaced it, and an exhausted
        // campaign bid again on every node. (By decision time, not spend: a spend that went down, its Redis state lost, is
        // still its owner's latest word.)
        if (adjustment.DecidedAt < AdjustedAt) return this;
        var adjusted = this with
        {
            Multiplier = adjustment.Multiplier,
            Impressions24h = adjustment.Impressions24h,
            Clicks24h = adjustment.Clicks24h,
            SmoothedCtr = adjustment.Ctr24h,
            SmoothedCvr = adjustment.Cvr24h > 0 ? adjustment.Cvr24h : SmoothedCvr,
            BudgetLeft = !adjustment.BudgetExhausted,
            SpentTotal = (double)adjustment.SpentTotal,
            AdjustedAt = adjustment.DecidedAt,
        };
        // Against the booked budget whatever the adjustment says: a cut booking read before an ordinary adjustment stops it too.
        return adjusted.Rebooked(Spec);
    }

    /// <summary>
    /// The same campaign under new terms: it bids while its spend is below the new budget. An exhausted campaign whose new
    /// budget is above what it has spent bids again, at multiplier 1 until its actor paces it: kept exhausted, it would win
    /// no impression, so its actor would hear of no event to notice the raise by, on any node. One whose budget was cut to
    /// its spend or below (0: paused) stops at once, on every node, before its actor hears of it.
    /// </summary>
    public CampaignSnapshot Rebooked(CampaignSpec spec) =>
        // Adjustments carry the spend rounded to cents: within a cent of the budget it is spent (99.9945 of 99.994 reads 99.99).
        SpentTotal + 0.01 >= (double)spec.Budget ? this with { Spec = spec, BudgetLeft = false }
        : !BudgetLeft ? this with { Spec = spec, BudgetLeft = true, Multiplier = Math.Max(Multiplier, 1.0) }
        : this with { Spec = spec };
}

/// <summary>The campaigns a node can bid for, as last published by their campaign actors. Read from any thread.</summary>
public interface ICampaignBoard
{
    bool TryGet(string campaignId, out CampaignSnapshot snapshot);

    /// <summary>False while the board is still reading the campaigns' state at start: nothing may be bid for meanwhile.</summary>
    bool IsCaughtUp => true;
}
