namespace Engine.Training.Ml;

/// <summary>Derivative-free minimisation (Nelder-Mead simplex, standard coefficients) for small smooth problems.</summary>
public static class NelderMead
{
    public static double[] Minimize(Func<double[], double> f, double[] start, double step, int iterations, double tolerance = 1e-9)
    {
        var n = start.Length;
        var simplex = new double[n + 1][];
        var values = new double[n + 1];
        for (var i = 0; i <= n; i++)
        {
            simplex[i] = (double[])start.Clone();
            if (i > 0) simplex[i][i - 1] += step;
            values[i] = f(simplex[i]);
        }
        for (var it = 0; it < iterations; it++)
        {
            var order = Enumerable.Range(0, n + 1).OrderBy(i => values[i]).ToArray();
            simplex = order.Select(i => simplex[i]).ToArray();
            values = order.Select(i => values[i]).ToArray();
            if (Math.Abs(values[n] - values[0]) < tolerance * (1 + Math.Abs(values[0]))) break;

            var centroid = new double[n];
            for (var i = 0; i < n; i++)
                for (var d = 0; d < n; d++) centroid[d] += simplex[i][d] / n;
            double[] Along(double t) => centroid.Select((c, d) => c + t * (simplex[n][d] - c)).ToArray();

            var reflected = Along(-1);
            var fr = f(reflected);
            if (fr < values[0])
            {
                var expanded = Along(-2);
                var fe = f(expanded);
                (simplex[n], values[n]) = fe < fr ? (expanded, fe) : (reflected, fr);
            }
            else if (fr < values[n - 1])
            {
                (simplex[n], values[n]) = (reflected, fr);
            }
            else
            {
                var contracted = fr < values[n] ? Along(-0.5) : Along(0.5);
                var fc = f(contracted);
                if (fc < Math.Min(fr, values[n])) (simplex[n], values[n]) = (contracted, fc);
                else
                    for (var i = 1; i <= n; i++)
                    {
                        simplex[i] = simplex[i].Select((x, d) => simplex[0][d] + 0.5 * (x - simplex[0][d])).ToArray();
                        values[i] = f(simplex[i]);
                    }
            }
        }
        return simplex[Enumerable.Range(0, n + 1).MinBy(i => values[i])];
    }
}
