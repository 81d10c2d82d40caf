using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Models.Decisions;

/// <summary>
/// A campaign's delivery as bidders see it: the last 24 h of event time and the flight's total spend. Carried on
/// every <see cref="BidAdjustment"/>, so a node that does not host the campaign prices with the same figures.
/// </summary>
public sealed record CampaignDelivery(double Impressions24h, double Clicks24h, double Conversions24h, double SpentTotal)
{
    public double SmoothedCtr => CampaignFeatures.SmoothedCtr(Clicks24h, Impressions24h);
    public double SmoothedCvr => CampaignFeatures.SmoothedCvr(Conversions24h, Clicks24h);

    public static CampaignDelivery Of(CampaignFeatureState state, long nowMs) => new(
        state.Hours.Sum(CampaignFeatureState.Impressions, 24, nowMs), state.Hours.Sum(CampaignFeatureState.Clicks, 24, nowMs),
        state.Hours.Sum(CampaignFeatureState.Conversions, 24, nowMs), state.SpentTotal);

    /// <summary>The budget is spent: no more bids until the booking raises it.</summary>
    public bool Exhausts(CampaignSpec spec) => Spent(SpentTotal, spec.Budget);

    /// <summary>
    /// Whether <paramref name="spent"/> (a sum of doubles) reaches <paramref name="budget"/>, to a millionth of a dollar: a
    /// thousand impressions at 0.01 sum to 9.999999999999831, and a budget of 10 spent exactly was not seen as spent.
    /// </summary>
    public static bool Spent(double spent, decimal budget) => spent >= (double)budget - 1e-6;

    /// <param name="asOf">When its actor saw it so (a local publish: now), against which a late adjustment is judged.</param>
    public CampaignSnapshot Snapshot(CampaignSpec spec, double multiplier, DateTimeOffset asOf = default) =>
        new(spec, multiplier, Impressions24h, Clicks24h, SmoothedCtr, SmoothedCvr, BudgetLeft: !Exhausts(spec), SpentTotal, asOf);
}
