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
    public void Small_moves_are_not_emitted()
    {
        Assert.False(Controller.ShouldEmit(PacingState.Initial with { Multiplier = 1.03 }));
        Assert.True(Controller.ShouldEmit(PacingState.Initial with { Multiplier = 1.2 }));
    }
}
