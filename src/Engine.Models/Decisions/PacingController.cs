namespace Engine.Models.Decisions;

/// <summary>
/// Budget pacing as a PI controller on the spend error, times a performance factor from live CTR.
/// Spend behind plan raises the multiplier, ahead of plan lowers it; a CTR that collapses against the
/// campaign's reference lowers it too. Pure: the campaign actor holds <see cref="PacingState"/>.
/// </summary>
public sealed record PacingController(
    double Kp = 2.0,
    double Ki = 0.5,
    double MinMultiplier = 0.1,
    double MaxMultiplier = 5.0,
    double CtrExponent = 0.7,
    double EmitThreshold = 0.05)
{
    /// <summary>
    /// One control step. <paramref name="spendError"/> is (planned - actual) / planned over the last hour: positive when under-spending.
    /// <paramref name="ctrRatio"/> is live smoothed CTR over the reference CTR (1 = as expected).
    /// </summary>
    public PacingState Step(PacingState state, double spendError, double ctrRatio, double dtSeconds)
    {
        // Integral in plan-fraction hours (an hour with nothing spent adds 1), bounded.
        var integral = Math.Clamp(state.Integral + spendError * dtSeconds / 3600.0, -2.0, 2.0);
        var multiplier = Multiplier(spendError, integral, ctrRatio);
        // No wind-up: while the multiplier is held at a bound, an error pushing it further is not integrated (it went on
        // before 2026-12-06, and a campaign held at the top for an hour took hours to come down once it caught up).
        if ((multiplier >= MaxMultiplier && spendError > 0) || (multiplier <= MinMultiplier && spendError < 0))
            (integral, multiplier) = (state.Integral, Multiplier(spendError, state.Integral, ctrRatio));
        return state with { Integral = integral, Multiplier = multiplier };
    }

    private double Multiplier(double spendError, double integral, double ctrRatio)
    {
        var (spend, behind, ctr) = Terms(spendError, integral, ctrRatio);
        return Math.Clamp(Math.Exp(spend + behind + ctr), MinMultiplier, MaxMultiplier);
    }

    /// <summary>The log-multiplier's three terms (before the bounds): what an adjustment's reasons report as contributions.</summary>
    public (double Spend, double Integral, double Ctr) Terms(double spendError, double integral, double ctrRatio) =>
        (Kp * spendError, Ki * integral, CtrExponent * Math.Log(Math.Clamp(ctrRatio, 0.05, 4.0)));

    /// <summary>Emit when the multiplier moved by more than the threshold (relative) since the last emitted value.</summary>
    public bool ShouldEmit(PacingState state) =>
        Math.Abs(state.Multiplier - state.LastEmitted) > EmitThreshold * state.LastEmitted;
}

/// <summary>The controller's memory: the current multiplier, the integral term and the last value sent out.</summary>
public sealed record PacingState(double Multiplier, double Integral, double LastEmitted)
{
    public static PacingState Initial { get; } = new(1.0, 0.0, 1.0);
}
