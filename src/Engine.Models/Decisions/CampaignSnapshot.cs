using Engine.Models.Contracts;

namespace Engine.Models.Decisions;

/// <summary>What a bidder knows of a campaign at a given moment: its booking, its pacing and its live delivery.</summary>
public sealed record CampaignSnapshot(
    CampaignSpec Spec,
    double Multiplier,
    double Impressions24h,
    double Clicks24h,
    double SmoothedCtr,
    double SmoothedCvr,
    bool BudgetLeft);

/// <summary>The campaigns a node can bid for, as last published by their campaign actors. Read from any thread.</summary>
public interface ICampaignBoard
{
    bool TryGet(string campaignId, out CampaignSnapshot snapshot);
}
