using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Models.Decisions;

/// <summary>
/// Runs a campaign's <see cref="PacingController"/> on event time: once per <see cref="TickInterval"/> it compares the
/// last hour's spend with the plan's hourly rate (what was left of the budget over what was left of the flight) and the last hour's CTR with the day's,
/// steps the controller, and emits a <see cref="BidAdjustment"/> when the multiplier moved past the threshold or
/// nothing was sent for <see cref="MaxQuietTicks"/> ticks. Once the flight's spend reaches the budget, <see cref="Exhaust"/>
/// sends one adjustment to multiplier 0 that says so. Pure: the campaign actor keeps the state.
/// </summary>
public sealed record CampaignPacer(PacingController Controller, TimeSpan TickInterval, int MaxQuietTicks = 15)
{
    // 5: read from the first whole minute of the flight and of the clock (4: the spend since the clock started compared with
    // the plan for that time; 3: no wind-up at a bound, the whole last hour read, the clock inside the flight only; 2: the
    // plan is the budget left over the flight left; 1: budget over flight)
    public const string Version = "pacing-pi-5";

    public static CampaignPacer Default { get; } = new(new PacingController(), TimeSpan.FromMinutes(1));

    public long TickOf(DateTimeOffset eventTime) => eventTime.ToUnixTimeMilliseconds() / (long)TickInterval.TotalMilliseconds;

    /// <param name="clockStartTick">The tick the campaign's clock started at (-1: unknown): the spend compared is since then.</param>
    public PacingStep Step(CampaignSpec spec, CampaignFeatureState delivery, PacingState pacing, long tick, long lastTick, long lastEmittedTick, string causedBy,
        long clockStartTick = -1)
    {
        // The last completed minutes only: the current minute has barely begun when its first event ticks the clock.
        var tickMs = (long)TickInterval.TotalMilliseconds;
        var tickStartMs = tick * tickMs;
        var nowMs = tickStartMs - 1;
        var spentLastHour = delivery.Minutes.Sum(CampaignFeatureState.Spend, 60, nowMs);
        // The hour, or the part of it since the first whole minute of the flight and of the clock, compared with the plan for
        // that part (reviews, 2026-12-07): a clock started mid-flight (a first win, a raise, an extended flight) read a minute's
        // spend against an hour's plan and bid 5 times over; one restarted within the hour counted the spend before its
        // exhaustion; and spend is summed by whole minutes, so a flight or clock begun at 10:00:40 read 20 s of spend against
        // a minute's plan and bid ~4 times over while on plan. That first part-minute is not paced: nothing to compare yet.
        var flightStartMs = spec.FlightStart.ToUnixTimeMilliseconds();
        var firstWholeTickMs = (flightStartMs / tickMs + (flightStartMs % tickMs > 0 ? 1 : 0)) * tickMs;
        var windowStartMs = Math.Max(firstWholeTickMs, clockStartTick >= 0 ? (clockStartTick + 1) * tickMs : long.MinValue);
        if (tickStartMs <= windowStartMs) return new PacingStep(pacing, null);
        var windowHours = Math.Clamp((tickStartMs - windowStartMs) / 3_600_000.0, 1.0 / 60, 1.0);
        var spentInWindow = delivery.Minutes.Sum(CampaignFeatureState.Spend, Math.Clamp((int)Math.Round(windowHours * 60), 1, 60), nowMs);
        var plannedPerHour = PlannedPerHour(spec, delivery, spentInWindow, tickStartMs, windowHours);
        var spendError = plannedPerHour <= 0 ? -1
            : Math.Clamp((plannedPerHour * windowHours - spentInWindow) / (plannedPerHour * windowHours), -1, 1);
        var ctrDay = CampaignFeatures.SmoothedCtr(
            delivery.Hours.Sum(CampaignFeatureState.Clicks, 24, nowMs), delivery.Hours.Sum(CampaignFeatureState.Impressions, 24, nowMs));
        // The hour's CTR shrunk toward the day's (not toward the global prior), so equal rates compare as 1.
        var ctrHour = (delivery.Minutes.Sum(CampaignFeatureState.Clicks, 60, nowMs) + ctrDay * CampaignFeatures.PriorImpressions)
                      / (delivery.Minutes.Sum(CampaignFeatureState.Impressions, 60, nowMs) + CampaignFeatures.PriorImpressions);
        var dtSeconds = Math.Max(1, tick - lastTick) * TickInterval.TotalSeconds;
        var next = Controller.Step(pacing, spendError, ctrHour / ctrDay, dtSeconds);
        if (!Controller.ShouldEmit(next) && tick - lastEmittedTick < MaxQuietTicks) return new PacingStep(next, null);
        var delivery24h = CampaignDelivery.Of(delivery, nowMs);
        var terms = Controller.Terms(spendError, next.Integral, ctrHour / ctrDay);
        var adjustment = new BidAdjustment
        {
            DecisionId = DecisionIds.Derive("bid-adjustment", spec.CampaignId, tick.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            CausedBy = causedBy,
            DecidedAt = DateTimeOffset.UtcNow,
            ModelVersion = Version,
            Reasons =
            [
                // Each contribution is its term of the log-multiplier (before the bounds): they add up to log(multiplier).
                // The spend is compared with the plan for the part of the hour the flight has run (1 = on plan).
                new Reason("spend_vs_plan", plannedPerHour > 0 ? Math.Round(spentInWindow / (plannedPerHour * windowHours), 4) : 1, Math.Round(terms.Spend, 4)),
                new Reason("spend_behind_plan_integral", Math.Round(next.Integral, 4), Math.Round(terms.Integral, 4)),
                new Reason("ctr_1h_vs_24h", Math.Round(ctrHour / ctrDay, 4), Math.Round(terms.Ctr, 4)),
            ],
            CampaignId = spec.CampaignId,
            Multiplier = Math.Round(next.Multiplier, 4),
            PreviousMultiplier = Math.Round(pacing.LastEmitted, 4),
            SpendLastHour = Usd(spentLastHour),
            PlannedSpendPerHour = Usd(plannedPerHour),
            CtrLastHour = Math.Round(ctrHour, 5),
            Ctr24h = Math.Round(ctrDay, 5),
            Impressions24h = delivery24h.Impressions24h,
            Clicks24h = delivery24h.Clicks24h,
            Cvr24h = Math.Round(delivery24h.SmoothedCvr, 5),
            SpentTotal = Usd(delivery24h.SpentTotal),
        };
        return new PacingStep(next with { LastEmitted = next.Multiplier }, adjustment);
    }

    /// <summary>
    /// The plan for the hour compared: what was left of the budget when it began, over what was left of the flight then
    /// (at least a minute). A budget raised or cut mid-flight, or one that includes earlier flights' spend (<c>spent_total</c>
    /// counts since the campaign's first event), is spread over the time left; planned as the whole budget over the whole
    /// flight (before 2026-12-06), a budget tripled half-way paced at half the rate it needed and ended a third unspent.
    /// </summary>
    private static double PlannedPerHour(CampaignSpec spec, CampaignFeatureState delivery, double spentInWindow, long tickStartMs, double windowHours)
    {
        var spentSinceWindow = spentInWindow + delivery.Minutes.Sum(CampaignFeatureState.Spend, 1, tickStartMs);
        var budgetLeft = Math.Max(0, (double)spec.Budget - (delivery.SpentTotal - spentSinceWindow));
        var windowStartMs = tickStartMs - (long)(windowHours * 3_600_000);
        var hoursLeft = Math.Max(1.0 / 60, (spec.FlightEnd.ToUnixTimeMilliseconds() - windowStartMs) / 3_600_000.0);
        return budgetLeft / hoursLeft;
    }

    /// <summary>
    /// A budget raised above the spend after an exhaustion: the pacing starts over (multiplier 1), and one adjustment says
    /// the campaign bids again (<c>budget_exhausted</c> false). Before 2026-12-08 nothing said so until the second minute
    /// after a first win, and the exchange's last word (the compacted topic's too) stayed the exhaustion: an exchange that
    /// drops bids for a campaign its last adjustment called exhausted never let that win happen; and the multiplier stayed
    /// at the exhaustion's 0 on the hosting node until then (review). Its id is the exhaustion's campaign, budget and tick
    /// with "resumed", so a replay or a reloaded actor repeats it.
    /// </summary>
    public PacingStep Resume(CampaignSpec spec, CampaignDelivery delivery, PacingState pacing, string causedBy, long exhaustedTick) =>
        new(PacingState.Initial, BudgetAdjustment(spec, delivery, pacing, causedBy, "resumed", exhaustedTick) with { Multiplier = PacingState.Initial.Multiplier });

    /// <summary>
    /// The spend just reached the budget: multiplier 0, and one adjustment that says so. Its id depends on the campaign,
    /// its budget and <paramref name="exhaustedTick"/> (the tick this exhaustion began in, kept in the pacing memory), so
    /// a replay or a restarted actor repeats the same id, while a raised budget, or a later exhaustion at the same budget
    /// (paused, resumed, paused again), gets a new one that a consumer deduplicating by id does not drop.
    /// </summary>
    public PacingStep Exhaust(CampaignSpec spec, CampaignDelivery delivery, PacingState pacing, string causedBy, long exhaustedTick) =>
        new(pacing with { Multiplier = 0, LastEmitted = 0 }, BudgetAdjustment(spec, delivery, pacing, causedBy, "exhausted", exhaustedTick) with { BudgetExhausted = true });

    /// <summary>What an exhaustion and a resumption both say: the spend against the budget, multiplier 0 unless set.</summary>
    private static BidAdjustment BudgetAdjustment(CampaignSpec spec, CampaignDelivery delivery, PacingState pacing, string causedBy, string kind,
        long exhaustedTick) => new()
    {
        DecisionId = DecisionIds.Derive("bid-adjustment", spec.CampaignId, kind,
            spec.Budget.ToString(System.Globalization.CultureInfo.InvariantCulture), exhaustedTick.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        CausedBy = causedBy,
        DecidedAt = DateTimeOffset.UtcNow,
        ModelVersion = Version,
        // A budget of 0 (a paused campaign) is exhausted from its first event: 0/0 would be NaN, which no JSON can carry.
        Reasons = [new Reason("spent_vs_budget", spec.Budget > 0 ? Math.Round(delivery.SpentTotal / (double)spec.Budget, 4) : 1, 0)],
        CampaignId = spec.CampaignId,
        Multiplier = 0,
        PreviousMultiplier = Math.Round(pacing.LastEmitted, 4),
        Ctr24h = Math.Round(delivery.SmoothedCtr, 5),
        Impressions24h = delivery.Impressions24h,
        Clicks24h = delivery.Clicks24h,
        Cvr24h = Math.Round(delivery.SmoothedCvr, 5),
        SpentTotal = Usd(delivery.SpentTotal),
    };

    /// <summary>
    /// Spend in USD to the cent. Saturated where a decimal would overflow: spend is summed from event prices in a double,
    /// and one absurd price must not make every later adjustment of the campaign throw.
    /// </summary>
    private static decimal Usd(double amount) =>
        double.IsNaN(amount) ? 0m : Math.Round((decimal)Math.Clamp(amount, -MaxUsd, MaxUsd), 2);

    private const double MaxUsd = 1e15;
}

/// <summary>The controller's new state, and the adjustment to send (null when the move is too small to report).</summary>
public sealed record PacingStep(PacingState State, BidAdjustment? Adjustment);
