namespace Engine.Training.Ml;

/// <summary>
/// A factorization machine (Rendle 2010) over hashed one-hot "field=value" tokens, trained by AdaGrad with L2: the
/// logistic regression's weights plus, per token, <c>k</c> factors whose dot products score every pair of tokens in a
/// row. Pairs share strength through the low-rank factors, so interactions generalise where explicit pair tokens (one
/// weight per pair, seen a handful of times) overfit.
/// </summary>
public sealed class FactorizationMachine(int bits, int factors, double l2, double factorL2, double rate, int epochs)
{
    private const double InitScale = 0.01;
    private readonly double[] _w = new double[1 << bits];
    private readonly double[] _gw = new double[1 << bits];
    private readonly double[] _v = new double[(1 << bits) * factors];
    private readonly double[] _gv = new double[(1 << bits) * factors];
    private double _bias, _gBias;

    public FactorizationMachine Fit(IReadOnlyList<string[]> rows, IReadOnlyList<bool> labels, int seed)
    {
        var random = new Random(seed);
        // Small random factors break the symmetry (all-zero factors have zero gradient).
        for (var i = 0; i < _v.Length; i++) _v[i] = InitScale * (random.NextDouble() * 2 - 1);
        var hashed = rows.Select(r => FeatureHash.Buckets(r, _w.Length)).ToArray();
        var order = Enumerable.Range(0, rows.Count).ToArray();
        var sums = new double[factors];
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var i in order)
            {
                var features = hashed[i];
                var error = Probability(Score(features, sums)) - (labels[i] ? 1 : 0);
                _gBias += error * error;
                _bias -= rate * error / Math.Sqrt(_gBias + 1e-8);
                foreach (var h in features)
                {
                    var grad = error + l2 * _w[h];
                    _gw[h] += grad * grad;
                    _w[h] -= rate * grad / Math.Sqrt(_gw[h] + 1e-8);
                    for (var f = 0; f < factors; f++)
                    {
                        var at = h * factors + f;
                        // d score / d v[h,f] = (sum over the row's tokens of v[.,f]) - v[h,f]
                        var g = error * (sums[f] - _v[at]) + factorL2 * _v[at];
                        _gv[at] += g * g;
                        _v[at] -= rate * g / Math.Sqrt(_gv[at] + 1e-8);
                    }
                }
            }
        }
        return this;
    }

    public double Predict(string[] row) => Probability(Score(FeatureHash.Buckets(row, _w.Length), new double[factors]));

    /// <summary>bias + sum of weights + sum over token pairs of factor dot products; leaves the per-factor sums in <paramref name="sums"/>.</summary>
    private double Score(int[] features, double[] sums)
    {
        Array.Clear(sums);
        var z = _bias;
        var squares = 0.0;
        foreach (var h in features)
        {
            z += _w[h];
            for (var f = 0; f < factors; f++)
            {
                var v = _v[h * factors + f];
                sums[f] += v;
                squares += v * v;
            }
        }
        var pairs = 0.0;
        for (var f = 0; f < factors; f++) pairs += sums[f] * sums[f];
        return z + 0.5 * (pairs - squares);
    }

    private static double Probability(double z) => 1 / (1 + Math.Exp(-Math.Clamp(z, -30, 30)));
}
