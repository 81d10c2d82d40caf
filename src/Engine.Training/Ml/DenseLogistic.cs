namespace Engine.Training.Ml;

/// <summary>
/// Plain L2-regularised logistic regression on standardised dense features, by batch gradient descent: the
/// published baselines' model (e.g. recency/frequency/monetary/tenure on CDNOW), reproduced here to compare against.
/// </summary>
public sealed class DenseLogistic
{
    private readonly double[] _mean, _scale, _weights;
    private readonly double _bias;

    private DenseLogistic(double[] mean, double[] scale, double[] weights, double bias) => (_mean, _scale, _weights, _bias) = (mean, scale, weights, bias);

    public static DenseLogistic Train(IReadOnlyList<float[]> rows, IReadOnlyList<bool> labels, double l2 = 1e-3, int iterations = 300, double rate = 0.5)
    {
        var width = rows[0].Length;
        var mean = Enumerable.Range(0, width).Select(f => rows.Average(r => (double)r[f])).ToArray();
        var scale = Enumerable.Range(0, width).Select(f => Math.Sqrt(rows.Average(r => Math.Pow(r[f] - mean[f], 2))) is var s && s > 0 ? s : 1).ToArray();
        var w = new double[width];
        double b = 0;
        var gradient = new double[width];
        for (var it = 0; it < iterations; it++)
        {
            Array.Clear(gradient);
            double gb = 0;
            for (var i = 0; i < rows.Count; i++)
            {
                var z = b;
                for (var f = 0; f < width; f++) z += w[f] * (rows[i][f] - mean[f]) / scale[f];
                var error = 1 / (1 + Math.Exp(-z)) - (labels[i] ? 1 : 0);
                for (var f = 0; f < width; f++) gradient[f] += error * (rows[i][f] - mean[f]) / scale[f];
                gb += error;
            }
            for (var f = 0; f < width; f++) w[f] -= rate * (gradient[f] / rows.Count + l2 * w[f]);
            b -= rate * gb / rows.Count;
        }
        return new DenseLogistic(mean, scale, w, b);
    }

    public double Predict(float[] row)
    {
        var z = _bias;
        for (var f = 0; f < _weights.Length; f++) z += _weights[f] * (row[f] - _mean[f]) / _scale[f];
        return 1 / (1 + Math.Exp(-z));
    }
}
