using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;

namespace Engine.Models.Tests.Decisions;

public sealed class CampaignPacerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A flight that begins 40 s into a minute and spends exactly on plan is read on plan. Before 2026-12-07 (review) its
    /// first step read the 20 s of spend of that minute's bucket against a whole minute's plan (spend_vs_plan 0.33) and bid
    /// about 4 times over.
    /// </summary>
    [Fact]
    public void A_flight_begun_mid_minute_spending_on_plan_is_read_on_plan()
    {
        var pacer = CampaignPacer.Default;
        var spec = new CampaignSpec { CampaignId = "c-1", Budget = 600m, FlightStart = T0.AddSeconds(40), FlightEnd = T0.AddSeconds(40).AddHours(10) };
        var perSecond = 600.0 / 36_000; // the plan: the budget over the flight
        var delivery = SpendingFrom40s(perSecond); // from the flight's start
        var clockStart = pacer.TickOf(spec.FlightStart);

        var first = pacer.Step(spec, delivery, PacingState.Initial, clockStart + 1, clockStart, clockStart - 100, "e-60", clockStart);
        var second = pacer.Step(spec, delivery, first.State, clockStart + 2, clockStart + 1, clockStart - 100, "e-120", clockStart);

        Assert.Null(first.Adjustment); // the part-minute the flight ran: nothing to compare yet
        Assert.Equal(PacingState.Initial, first.State);
        var adjustment = Assert.IsType<BidAdjustment>(second.Adjustment);
        Assert.InRange(adjustment.Reasons.Single(r => r.Factor == "spend_vs_plan").Value, 0.97, 1.03); // before: 0.33 at the first step
        Assert.InRange(adjustment.Multiplier, 0.9, 1.1);
    }

    /// <summary>
    /// The same for a clock started by the campaign's first win 40 s into a minute of a flight under way: the minute it started
    /// in is not read as a whole minute of spend (the review of the change above).
    /// </summary>
    [Fact]
    public void A_clock_started_mid_minute_by_a_first_win_spending_on_plan_is_read_on_plan()
    {
        var pacer = CampaignPacer.Default;
        var spec = new CampaignSpec { CampaignId = "c-1", Budget = 600m, FlightStart = T0.AddHours(-1), FlightEnd = T0.AddHours(9) };
        var perSecond = 600.0 / 32_400; // the plan: the budget (nothing spent in the flight's first hour) over the 9 hours left
        var delivery = SpendingFrom40s(perSecond); // its first win at T0 + 40 s
        var clockStart = pacer.TickOf(T0.AddSeconds(40));

        var first = pacer.Step(spec, delivery, PacingState.Initial, clockStart + 1, clockStart, clockStart - 100, "e-60", clockStart);
        var second = pacer.Step(spec, delivery, first.State, clockStart + 2, clockStart + 1, clockStart - 100, "e-120", clockStart);

        Assert.Null(first.Adjustment);
        var adjustment = Assert.IsType<BidAdjustment>(second.Adjustment);
        Assert.InRange(adjustment.Reasons.Single(r => r.Factor == "spend_vs_plan").Value, 0.97, 1.03);
        Assert.InRange(adjustment.Multiplier, 0.9, 1.1);
    }

    /// <summary>An impression every 5 s from T0 + 40 s to T0 + 3 min, each at <paramref name="perSecond"/>'s price for 5 s.</summary>
    private static CampaignFeatureState SpendingFrom40s(double perSecond)
    {
        var delivery = new CampaignFeatureState("c-1", TimeSpan.FromHours(1));
        var offset = 0;
        for (var s = 40; s < 180; s += 5)
            delivery.Apply(new ClickEvent
            {
                EventId = $"e-{s}", EventTime = T0.AddSeconds(s), UserId = "u", SessionId = "s", Type = EventType.AdImpression,
                CampaignId = "c-1", Price = (decimal)Math.Round(perSecond * 5, 6),
            }, new EventPosition(0, offset++));
        return delivery;
    }
}
