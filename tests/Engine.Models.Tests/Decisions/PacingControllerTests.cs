using Engine.Models.Decisions;

namespace Engine.Models.Tests.Decisions;

public class PacingControllerTests
{
    private static readonly PacingController Controller = new();

    [Fact]
    public void Under_spending_raises_the_multiplier_over_time()
    {
        var state = PacingState.Initial;
        for (var i = 0; i < 10; i++) state = Controller.Step(state, spendError: 0.2, ctrRatio: 1.0, dtSeconds: 60);
        Assert.True(state.Multiplier > 1.3, $"multiplier {state.Multiplier}");
    }

    [Fact]
    public void Over_spending_lowers_the_multiplier()
    {
        var state = Controller.Step(PacingState.Initial, spendError: -0.2, ctrRatio: 1.0, dtSeconds: 60);
        Assert.True(state.Multiplier < 0.8, $"multiplier {state.Multiplier}");
    }

    [Fact]
    public void A_collapsing_ctr_lowers_the_multiplier_even_on_plan()
    {
        var state = Controller.Step(PacingState.Initial, spendError: 0, ctrRatio: 0.2, dtSeconds: 60);
        Assert.True(state.Multiplier < 0.5, $"multiplier {state.Multiplier}");
    }

    [Fact]
    public void The_multiplier_stays_within_bounds()
    {
        var state = PacingState.Initial;
        for (var i = 0; i < 1000; i++) state = Controller.Step(state, spendError: 1, ctrRatio: 4, dtSeconds: 3600);
        Assert.Equal(Controller.MaxMultiplier, state.Multiplier);
    }

    [Fact]
    public void An_error_pushing_a_multiplier_held_at_its_bound_is_not_integrated()
    {
        // Held at the top by a large error: the integral keeps what it had when the bound was reached.
        var state = PacingState.Initial;
        for (var i = 0; i < 60; i++) state = Controller.Step(state, spendError: 1, ctrRatio: 1, dtSeconds: 60);
        Assert.Equal(Controller.MaxMultiplier, state.Multiplier);
        Assert.True(state.Integral < 0.1, $"integral {state.Integral}"); // exp(2 * 1) * ... reaches 5 within a minute or two

        // Back on plan, it comes down at once rather than after hours of unwinding (before 2026-12-06: integral 1, x1.65).
        var onPlan = Controller.Step(state, spendError: 0, ctrRatio: 1, dtSeconds: 60);
        Assert.InRange(onPlan.Multiplier, 0.9, 1.1);
    }

    [Fact]
    public void Small_moves_are_not_emitted()
    {
        Assert.False(Controller.ShouldEmit(PacingState.Initial with { Multiplier = 1.03 }));
        Assert.True(Controller.ShouldEmit(PacingState.Initial with { Multiplier = 1.2 }));
    }
}
