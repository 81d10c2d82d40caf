using System.Globalization;
using Engine.Models.Contracts;

namespace Engine.Host.Demo;

/// <summary>One decision as a line a person can read at a glance: who, what, and why (top reason, model version).</summary>
public static class DecisionLine
{
    public static string Format(IDecision decision) => decision switch
    {
        Recommendation r => $"recommendation for {r.UserId}: {string.Join(", ", r.Items.Take(4).Select(i => $"{i.ItemId} ({i.Reason})"))}" +
                            $"{(r.Items.Count > 4 ? ", ..." : "")} [{r.ModelVersion}]",
        BidDecision { Bid: true } b => $"bid for {b.UserId} on {b.RequestId}: {b.CampaignId} at {b.Price?.ToString("0.00", CultureInfo.InvariantCulture)} {b.Currency} CPM, " +
                                      $"predicted CTR {b.PredictedCtr?.ToString("0.0000", CultureInfo.InvariantCulture)}{TopFactor(b)} [{b.ModelVersion}]",
        BidDecision b => $"no bid for {b.UserId} on {b.RequestId}: {b.Nbr}{TopFactor(b)} [{b.ModelVersion}]",
        BidAdjustment a => $"bid multiplier of {a.CampaignId}: {a.PreviousMultiplier:0.00} -> {a.Multiplier:0.00} (spend {a.SpendLastHour:0.00}/h vs plan " +
                           $"{a.PlannedSpendPerHour:0.00}/h, CTR 24h {a.Ctr24h:0.0000}{(a.BudgetExhausted ? ", budget exhausted" : "")}) [{a.ModelVersion}]",
        ChurnAlert c => $"churn alert for {c.UserId}: p={c.Probability:0.000} over {c.Threshold:0.00}{TopFactor(c)} [{c.ModelVersion}]",
        _ => decision.GetType().Name + " " + decision.DecisionId,
    };

    private static string TopFactor(IDecision decision) =>
        decision.Reasons.OrderByDescending(r => Math.Abs(r.Contribution)).FirstOrDefault() is { } top
            ? string.Create(CultureInfo.InvariantCulture, $", top factor {top.Factor}={top.Value:0.###}")
            : "";
}
