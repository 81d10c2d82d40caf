namespace Engine.Training.Ml;

/// <summary>
/// The BG/NBD repeat-buying model (Fader, Hardie and Lee 2005): while alive a customer buys as a Poisson process
/// (rates gamma(r, alpha) across customers) and after each purchase drops out with probability p (beta(a, b)).
/// Fitted by maximum likelihood on each customer's calibration summary (x repeat purchases, the last at t_x, observed
/// for T), it gives per customer the probability of still being alive and of no purchase in a coming period: the
/// classic churn signal on CDNOW.
/// </summary>
public sealed record BgNbd(double R, double Alpha, double A, double B)
{
    /// <summary>One customer's calibration summary: repeat purchases, time of the last one and of the end, from the first purchase.</summary>
    public readonly record struct Summary(int X, double Tx, double T);

    public static BgNbd Fit(IReadOnlyList<Summary> customers)
    {
        // Log-parameters keep all four positive; Nelder-Mead needs no gradient and the surface is smooth.
        var best = NelderMead.Minimize(p => -LogLikelihood(FromLog(p), customers), [0, 1, 0, 0], 0.5, 2000);
        return FromLog(best);
    }

    private static BgNbd FromLog(double[] p) => new(Math.Exp(p[0]), Math.Exp(p[1]), Math.Exp(p[2]), Math.Exp(p[3]));

    public static double LogLikelihood(BgNbd m, IReadOnlyList<Summary> customers)
    {
        double sum = 0;
        foreach (var c in customers) sum += m.LogLikelihood(c);
        return sum;
    }

    public double LogLikelihood(Summary c)
    {
        var (r, alpha, a, b) = (R, Alpha, A, B);
        var a1 = Special.LogGamma(r + c.X) - Special.LogGamma(r) + r * Math.Log(alpha);
        var a2 = Special.LogGamma(a + b) + Special.LogGamma(b + c.X) - Special.LogGamma(b) - Special.LogGamma(a + b + c.X);
        var a3 = -(r + c.X) * Math.Log(alpha + c.T);
        if (c.X == 0) return a1 + a2 + a3;
        var a4 = Math.Log(a) - Math.Log(b + c.X - 1) - (r + c.X) * Math.Log(alpha + c.Tx);
        var max = Math.Max(a3, a4);
        return a1 + a2 + max + Math.Log(Math.Exp(a3 - max) + Math.Exp(a4 - max));
    }

    /// <summary>Probability the customer has not dropped out by the end of calibration.</summary>
    public double ProbabilityAlive(Summary c) =>
        c.X == 0 ? 1 : 1 / (1 + A / (B + c.X - 1) * Math.Pow((Alpha + c.T) / (Alpha + c.Tx), R + c.X));

    /// <summary>Probability of no purchase in the <paramref name="horizon"/> after calibration (dropped out, or alive and silent).</summary>
    public double ProbabilityNoPurchase(Summary c, double horizon)
    {
        var alive = ProbabilityAlive(c);
        return 1 - alive + alive * Math.Pow((Alpha + c.T) / (Alpha + c.T + horizon), R + c.X);
    }
}
