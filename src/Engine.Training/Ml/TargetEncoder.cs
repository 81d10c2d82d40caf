namespace Engine.Training.Ml;

/// <summary>
/// Categorical fields to numbers for trees: per field, how often the value occurs and its smoothed click rate
/// <c>(clicks + m * prior) / (count + m)</c>. Training rows get out-of-fold rates (k folds) so a row never sees its own
/// label; other rows use rates from all training rows. A count is of the training rows other than the row itself: a row
/// scored later is not among the rows it was counted over, so a training row must not count itself either (before
/// 2026-12-07 it did, and a value seen once read 1 in training, where it meant "no other row", and 1 when scored).
/// </summary>
public sealed class TargetEncoder
{
    private const double Smoothing = 20;
    private readonly Dictionary<string, (int Count, int Clicks)>[] _stats;
    private readonly double _prior;

    private TargetEncoder(Dictionary<string, (int, int)>[] stats, double prior) => (_stats, _prior) = (stats, prior);

    public static string[] Names(IEnumerable<string> fields) => fields.SelectMany(f => new[] { $"{f}_count", $"{f}_ctr" }).ToArray();

    public static TargetEncoder Fit(IReadOnlyList<string[]> rows, IReadOnlyList<bool> labels)
    {
        var width = rows.Count == 0 ? 0 : rows[0].Length;
        var stats = Enumerable.Range(0, width).Select(_ => new Dictionary<string, (int, int)>(StringComparer.Ordinal)).ToArray();
        for (var i = 0; i < rows.Count; i++)
            for (var f = 0; f < width; f++)
            {
                var (n, c) = stats[f].GetValueOrDefault(rows[i][f]);
                stats[f][rows[i][f]] = (n + 1, c + (labels[i] ? 1 : 0));
            }
        return new TargetEncoder(stats, labels.Count(l => l) / (double)Math.Max(1, labels.Count));
    }

    public float[] Encode(string[] row)
    {
        var encoded = new float[row.Length * 2];
        for (var f = 0; f < row.Length; f++)
        {
            var (n, c) = _stats[f].GetValueOrDefault(row[f]);
            encoded[2 * f] = n;
            encoded[2 * f + 1] = (float)((c + Smoothing * _prior) / (n + Smoothing));
        }
        return encoded;
    }

    /// <summary>Encodings of the training rows themselves, each from the folds it is not in.</summary>
    public static float[][] EncodeOutOfFold(IReadOnlyList<string[]> rows, IReadOnlyList<bool> labels, int folds, int seed)
    {
        var fold = Enumerable.Range(0, rows.Count).Select(i => i % folds).ToArray();
        new Random(seed).Shuffle(fold);
        var encoded = new float[rows.Count][];
        // Counts come from the full training set less the row itself: they carry no label.
        var full = Fit(rows, labels);
        for (var k = 0; k < folds; k++)
        {
            var inFold = Enumerable.Range(0, rows.Count).Where(i => fold[i] == k).ToArray();
            var rest = Enumerable.Range(0, rows.Count).Where(i => fold[i] != k).ToArray();
            var encoder = Fit(rest.Select(i => rows[i]).ToList(), rest.Select(i => labels[i]).ToList());
            foreach (var i in inFold)
            {
                var e = encoder.Encode(rows[i]);
                var f = full.Encode(rows[i]);
                for (var j = 0; j < e.Length; j += 2) e[j] = f[j] - 1;
                encoded[i] = e;
            }
        }
        return encoded;
    }
}
