using System.Globalization;
using Engine.Training.Data;
using Engine.Training.Ml;

namespace Engine.Training.Evaluation;

/// <summary>Hashed LR settings: L2, epochs, AdaGrad rate, and how often a value must occur in training to get its own weight.</summary>
public sealed record LogisticOptions(double L2, int Epochs, double Rate, int MinCount);

/// <summary>Factorization machine settings: factors per token, L2 on weights and on factors, epochs, AdaGrad rate, and the LR's rare-value rule.</summary>
public sealed record FactorizationOptions(int Factors, double L2, double FactorL2, int Epochs, double Rate, int MinCount);

/// <summary>
/// Weights of a blend of the learners' probabilities, summing to 1 (all are calibrated: LR and FM by their loss,
/// FastTree by Platt scaling).
/// </summary>
public sealed record BlendWeights(double Logistic, double Trees, double Factorization)
{
    public double[] Mix(double[] lr, double[] trees, double[] fm) => lr.Select((p, i) => Logistic * p + Trees * trees[i] + Factorization * fm[i]).ToArray();

    public override string ToString() => FormattableString.Invariant($"LR {Logistic}, trees {Trees}, FM {Factorization}");
}

/// <summary>The click-through learners compared on Criteo and Avazu: each fits on one set of rows and scores another.</summary>
public static class CtrModels
{
    /// <summary>LR and FM fits averaged over seeds: on a few thousand rows the order of SGD steps moves AUC by a point. (FastTree is deterministic here: no bagging.)</summary>
    private const int Bags = 5;

    public static bool[] Labels(IReadOnlyList<CtrSamples.Row> rows) => rows.Select(r => r.Label).ToArray();

    public static double[] Logistic(IReadOnlyList<CtrSamples.Row> train, IReadOnlyList<CtrSamples.Row> test, LogisticOptions o, int seed) =>
        Bagged(train, test, o.MinCount, seed, (tokens, labels, bagSeed) =>
            new HashedLogistic(bits: 20, l2: o.L2, rate: o.Rate, epochs: o.Epochs).Fit(tokens, labels, bagSeed).Predict);

    /// <summary>The factorization machine over the LR's tokens, averaged over seeds as the LR is.</summary>
    public static double[] Factorization(IReadOnlyList<CtrSamples.Row> train, IReadOnlyList<CtrSamples.Row> test, FactorizationOptions o, int seed) =>
        Bagged(train, test, o.MinCount, seed, (tokens, labels, bagSeed) =>
            new FactorizationMachine(bits: 18, o.Factors, o.L2, o.FactorL2, o.Rate, o.Epochs).Fit(tokens, labels, bagSeed).Predict);

    /// <summary>A token learner fitted <see cref="Bags"/> times (seeds <paramref name="seed"/> on) and its test predictions averaged.</summary>
    private static double[] Bagged(IReadOnlyList<CtrSamples.Row> train, IReadOnlyList<CtrSamples.Row> test, int minCount, int seed,
        Func<List<string[]>, bool[], int, Func<string[], double>> fit)
    {
        var seen = Seen(train);
        var trainTokens = train.Select(r => Tokens(r, seen, minCount)).ToList();
        var testTokens = test.Select(r => Tokens(r, seen, minCount)).ToList();
        var labels = Labels(train);
        var sum = new double[test.Count];
        for (var bag = 0; bag < Bags; bag++)
        {
            var predict = fit(trainTokens, labels, seed + bag);
            for (var i = 0; i < test.Count; i++) sum[i] += predict(testTokens[i]) / Bags;
        }
        return sum;
    }

    /// <summary>FastTree over the numeric fields plus, per categorical field, its training count and smoothed click rate.</summary>
    public static double[] Trees(IReadOnlyList<CtrSamples.Row> train, IReadOnlyList<CtrSamples.Row> test, CtrSamples.Split split, TreeOptions options, int seed)
    {
        var names = split.NumericNames.Concat(TargetEncoder.Names(split.CategoricalNames)).ToArray();
        var categorical = train.Select(r => r.Categorical).ToList();
        var encoded = TargetEncoder.EncodeOutOfFold(categorical, Labels(train), 5, seed);
        var data = Dataset.Empty(names);
        for (var i = 0; i < train.Count; i++) data.Add([.. Numeric(train[i]), .. encoded[i]], train[i].Label);
        var encoder = TargetEncoder.Fit(categorical, Labels(train));
        var testRows = test.Select(r => (float[])[.. Numeric(r), .. encoder.Encode(r.Categorical)]).ToList();
        return FastTreeModel.Train(data, options, seed).Predict(testRows).Select(p => (double)p).ToArray();
    }

    /// <summary>How often each field value occurs in the training rows (no labels involved).</summary>
    private static Dictionary<string, int>[] Seen(IReadOnlyList<CtrSamples.Row> train)
    {
        var seen = Enumerable.Range(0, train[0].Categorical.Length).Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();
        foreach (var r in train)
            for (var f = 0; f < r.Categorical.Length; f++) seen[f][r.Categorical[f]] = seen[f].GetValueOrDefault(r.Categorical[f]) + 1;
        return seen;
    }

    /// <summary>Categorical values as they are; numeric values bucketed by log2 so the linear model sees them as categories.</summary>
    /// <remarks>Values seen fewer than <c>minCount</c> times in training share one "rare" weight instead of a noisy one each.</remarks>
    private static string[] Tokens(CtrSamples.Row row, Dictionary<string, int>[] seen, int minCount) =>
        [.. row.Categorical.Select((v, f) => seen[f].GetValueOrDefault(v) >= minCount ? v : "rare"),
         .. row.Numeric.Select(v => float.IsNaN(v) ? "na" : v <= 0 ? v.ToString(CultureInfo.InvariantCulture) : ((int)Math.Log2(v + 1)).ToString(CultureInfo.InvariantCulture))];

    private static float[] Numeric(CtrSamples.Row row) => row.Numeric.Select(v => float.IsNaN(v) ? -1f : v).ToArray();
}
