using Engine.Models.Contracts;

namespace Engine.Models.Decisions;

/// <summary>What the pricer knows about one candidate campaign at the moment of a bid request.</summary>
public readonly record struct BidCandidate(
    CampaignSpec Spec,
    double PredictedCtr,
    double PredictedCvr,
    double PacingMultiplier,
    bool BudgetLeft);

/// <summary>The pricer's answer: a CPM for the best campaign, or the OpenRTB reason not to bid.</summary>
public readonly record struct PricedBid(BidCandidate? Winner, decimal Cpm, NoBidReason? NoBid);

/// <summary>
/// Prices an impression at its expected value to the advertiser: CPM = 1000 x (pCTR x value per click +
/// pCTR x pCVR x value per conversion) x pacing multiplier, capped at the campaign's max CPM. The best
/// campaign wins; below the floor there is no bid. Pure.
/// </summary>
public static class BidPricer
{
    public static decimal Cpm(in BidCandidate c) => Rounded(ExactCpm(c), c);

    /// <summary>
    /// To 4 decimals toward zero, the value and the cap alike: a bid is never above what the impression is worth to the
    /// campaign, nor above its cap. Rounded to the nearest, a cap of more decimals (2.66666667) was bid above itself (2.6667),
    /// and a value of 0.79996 cleared a floor of 0.80 it was below (before 2026-12-07; review).
    /// </summary>
    private static decimal Rounded(double cpm, in BidCandidate c) => double.IsFinite(cpm) && cpm > 0
        ? Math.Min(Math.Round((decimal)cpm, 4, MidpointRounding.ToZero), Math.Round(c.Spec.MaxCpm, 4, MidpointRounding.ToZero))
        : 0m;

    /// <summary>The CPM before its rounding to 4 decimals (what the floor is compared with), capped while still a double: an
    /// absurd value per click (or multiplier) would overflow the decimal, not the cap.</summary>
    private static double ExactCpm(in BidCandidate c)
    {
        var valuePerImpression = c.PredictedCtr * (double)c.Spec.ValuePerClick
                                 + c.PredictedCtr * c.PredictedCvr * (double)c.Spec.ValuePerConversion;
        return Math.Min(1000.0 * valuePerImpression * c.PacingMultiplier, (double)c.Spec.MaxCpm);
    }

    public static PricedBid Best(IReadOnlyList<BidCandidate> candidates, decimal floorCpm, DateTimeOffset at)
    {
        if (candidates.Count == 0) return new(null, 0m, NoBidReason.NoEligibleCampaign);
        BidCandidate? best = null;
        var (bestCpm, bestExact) = (0m, 0.0);
        var (anyInFlight, anyCanBid) = (false, false);
        foreach (var c in candidates)
        {
            if (at < c.Spec.FlightStart || at >= c.Spec.FlightEnd) continue;
            anyInFlight = true;
            if (!c.BudgetLeft) continue;
            anyCanBid = true;
            var exact = ExactCpm(c);
            var cpm = Rounded(exact, c);
            // Equal prices: the higher value before rounding, which alone may clear a floor of more decimals (else the answer
            // hung on the candidates' order: 0.80001 first refused a floor of 0.80005 that 0.80009 beside it cleared).
            if (cpm > bestCpm || (cpm == bestCpm && cpm > 0 && exact > bestExact)) (best, bestCpm, bestExact) = (c, cpm, exact);
        }
        // The exchange is told which: a spent budget is final for the flight, a flight not yet started is not.
        if (!anyCanBid) return new(null, 0m, anyInFlight ? NoBidReason.BudgetExhausted : NoBidReason.OutsideFlight);
        // The floor against the value before its rounding: a floor of more decimals than the price (0.80004) was refused to a value
        // that cleared it (0.800049, priced 0.8000; before 2026-12-07). Such a bid is at the floor, which is not above the value.
        if (best is null || bestExact < (double)floorCpm) return new(null, 0m, NoBidReason.BelowFloor);
        return new(best, Math.Max(bestCpm, floorCpm), null);
    }
}
