namespace Engine.Models.Experiments.Outcomes;

/// <summary>
/// A rate with its Wilson score interval (95% by default): unlike the normal approximation it stays inside [0, 1] and
/// keeps its coverage at small counts and rates near 0, which is where click-through and conversion rates live.
/// </summary>
public readonly record struct Proportion(long Successes, long Trials, double Rate, double Low, double High)
{
    /// <summary>z for a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    public static Proportion Of(long successes, long trials, double z = Z95)
    {
        if (trials <= 0) return new(successes, 0, 0, 0, 1);
        var p = successes / (double)trials;
        var z2 = z * z;
        var denominator = 1 + z2 / trials;
        var centre = (p + z2 / (2.0 * trials)) / denominator;
        var half = z / denominator * Math.Sqrt(p * (1 - p) / trials + z2 / (4.0 * trials * trials));
        return new(successes, trials, p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}

/// <summary>
/// The difference of two independent rates (challenger minus champion) with Newcombe's hybrid score interval, built from
/// the two Wilson intervals (Newcombe 1998, method 10): when it excludes 0 the arms differ at the 5% level.
/// </summary>
public readonly record struct Difference(double Value, double Low, double High)
{
    public static Difference Between(Proportion champion, Proportion challenger)
    {
        var d = challenger.Rate - champion.Rate;
        var low = d - Math.Sqrt(Square(challenger.Rate - challenger.Low) + Square(champion.High - champion.Rate));
        var high = d + Math.Sqrt(Square(challenger.High - challenger.Rate) + Square(champion.Rate - champion.Low));
        return new(d, low, high);
    }

    private static double Square(double x) => x * x;
}
