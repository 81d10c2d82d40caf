using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Xunit.Abstractions;

namespace Engine.Models.Tests.Decisions;

/// <summary>
/// The pacer in a closed loop with a simulated market (spend per minute proportional to the multiplier), a minute at a
/// time over a two-day flight, as the campaign actor runs it: exhaustion stops the spend at the budget.
/// </summary>
public sealed class CampaignPacerClosedLoopTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Flight = TimeSpan.FromHours(48);

    /// <summary>Spend per minute at multiplier 1: 60 an hour, so a budget of 1,000 over 48 h needs about 0.35.</summary>
    private const double SpendPerMinuteAtOne = 1.0;

    /// <summary>Runs the flight; <paramref name="budgetAt"/> gives the booked budget at each minute (an advertiser's raise).</summary>
    private (double Spent, double SpentFirstDay) Run(Func<int, decimal> budgetAt)
    {
        var pacer = CampaignPacer.Default;
        var delivery = new CampaignFeatureState("c-1", TimeSpan.FromHours(1));
        var state = PacingState.Initial;
        long lastTick = -1, lastEmitted = -1;
        var spentFirstDay = 0.0;
        for (var minute = 0; minute < (int)Flight.TotalMinutes; minute++)
        {
            var spec = new CampaignSpec { CampaignId = "c-1", Budget = budgetAt(minute), FlightStart = Start, FlightEnd = Start + Flight };
            var at = Start.AddMinutes(minute).AddSeconds(30);
            var tick = pacer.TickOf(at);
            if (CampaignDelivery.Of(delivery, at.ToUnixTimeMilliseconds()).Exhausts(spec)) continue; // no bids: nothing spent
            if (lastTick < 0) (lastTick, lastEmitted) = (tick, tick);
            else if (tick > lastTick)
            {
                var step = pacer.Step(spec, delivery, state, tick, lastTick, lastEmitted, $"e-{minute}");
                state = step.State;
                if (step.Adjustment is not null) lastEmitted = tick;
                lastTick = tick;
            }
            var price = Math.Min(SpendPerMinuteAtOne * state.Multiplier, (double)spec.Budget - delivery.SpentTotal);
            delivery.Apply(new ClickEvent
            {
                EventId = $"e-{minute}", EventTime = at, UserId = "u", SessionId = "s", Type = EventType.AdImpression, CampaignId = "c-1",
                Price = (decimal)Math.Round(price, 4),
            }, new EventPosition(0, minute));
            if (minute < 24 * 60) spentFirstDay = delivery.SpentTotal;
            if (minute % 360 == 359) output.WriteLine($"{(minute + 1) / 60,2} h: spent {delivery.SpentTotal,8:F1} of {spec.Budget}, multiplier {state.Multiplier:F3}");
        }
        return (delivery.SpentTotal, spentFirstDay);
    }

    [Fact]
    public void A_steady_budget_is_spent_evenly_over_the_flight()
    {
        var (spent, firstDay) = Run(_ => 1_000m);
        Assert.InRange(spent, 950, 1_000);
        Assert.InRange(firstDay, 450, 550);
    }

    /// <summary>
    /// Half-way through, the advertiser triples the budget. The plan is what is left over the time left, so the second day
    /// spends the rest; planned as the whole budget over the whole flight (before 2026-12-06), it paced at 3,000 / 48 h and
    /// ended the flight with about a third of the budget unspent.
    /// </summary>
    [Fact]
    public void A_budget_raised_mid_flight_is_spent_by_the_flight_end()
    {
        var (spent, firstDay) = Run(minute => minute < 24 * 60 ? 1_000m : 3_000m);
        Assert.InRange(firstDay, 450, 550);
        Assert.InRange(spent, 2_850, 3_000);
    }
}
