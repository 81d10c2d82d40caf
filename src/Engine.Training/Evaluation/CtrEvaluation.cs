using Engine.Training.Data;
using Engine.Training.Ml;

namespace Engine.Training.Evaluation;

/// <summary>
/// Criteo / Avazu click-through: the hashed logistic regression baseline, FastTree over numeric fields plus count and
/// out-of-fold target encodings, and their blend. Choices (LR settings, blend weight) are made on a validation split
/// carved from the training rows (the last 15%); the chosen recipe is then refit on train+dev and scored once on test.
/// </summary>
public static class CtrEvaluation
{
    private static readonly TreeOptions[] TreeGrid =
    [
        new(Trees: 300, Leaves: 8, MinLeafCount: 30, LearningRate: 0.03, FeatureFraction: 0.7),
        new(Trees: 500, Leaves: 4, MinLeafCount: 50, LearningRate: 0.02, FeatureFraction: 0.5),
        new(Trees: 200, Leaves: 16, MinLeafCount: 50, LearningRate: 0.03, FeatureFraction: 0.5),
    ];

    private static readonly LogisticOptions[] LogisticGrid =
        [.. from l2 in new[] { 1e-5, 1e-4, 1e-3 } from epochs in new[] { 2, 5 } from rate in new[] { 0.02, 0.05, 0.1 } from minCount in new[] { 1, 3 } select new LogisticOptions(l2, epochs, rate, false, minCount)];

    private sealed record LogisticOptions(double L2, int Epochs, double Rate, bool Pairs, int MinCount);

    public sealed record Result(string Dataset, int TrainRows, int TestRows, double LogisticAuc, double TreesAuc, double BlendAuc, double BlendWeight, string LogisticSettings, string TreeSettings);

    /// <summary>The baseline as usually run: hashed one-hot LR with fixed, untuned settings.</summary>
    private static readonly LogisticOptions Baseline = new(1e-4, 3, 0.05, false, 1);

    public static Result Run(string name, CtrSamples.Split split, int seed, TextWriter log)
    {
        var cut = split.Train.Count * 85 / 100;
        var fit = split.Train.Take(cut).ToList();
        var validation = split.Train.Skip(cut).ToList();

        // Validation: LR settings (with the default as the baseline), tree settings, and the blend weight.
        var validationLabels = Labels(validation);
        var lrOptions = LogisticGrid.MaxBy(o => Metrics.Auc(Logistic(fit, validation, o, seed), validationLabels))!;
        var lrValidation = Logistic(fit, validation, lrOptions, seed);
        var treeOptions = TreeGrid.MaxBy(o => Metrics.Auc(TreeScores(fit, validation, split, o, seed), validationLabels))!;
        var treeValidation = TreeScores(fit, validation, split, treeOptions, seed);
        var weight = new[] { 0.0, 0.25, 0.5, 0.75, 1.0 }
            .MaxBy(w => Metrics.Auc(Blend(lrValidation, treeValidation, w), validationLabels));
        log.WriteLine($"  {name} validation: LR {Metrics.Auc(lrValidation, validationLabels):F4} {lrOptions}, trees {Metrics.Auc(treeValidation, validationLabels):F4} {treeOptions}, blend weight on trees {weight}");

        var lrTest = Logistic(split.Train, split.Test, Baseline, seed);
        var lrChosen = Logistic(split.Train, split.Test, lrOptions, seed);
        var treeTest = TreeScores(split.Train, split.Test, split, treeOptions, seed);
        var labels = Labels(split.Test);
        var result = new Result(name, split.Train.Count, split.Test.Count, Metrics.Auc(lrTest, labels), Metrics.Auc(treeTest, labels),
            Metrics.Auc(Blend(lrChosen, treeTest, weight), labels), weight, lrOptions.ToString(), treeOptions.ToString());
        log.WriteLine($"  {name} test: hashed LR {result.LogisticAuc:F4}, trees {result.TreesAuc:F4}, blend {result.BlendAuc:F4}");
        return result;
    }

    private static bool[] Labels(List<CtrSamples.Row> rows) => rows.Select(r => r.Label).ToArray();

    /// <summary>Rank-free blend: a weighted mean of the two probabilities.</summary>
    private static double[] Blend(double[] lr, double[] trees, double weightOnTrees) =>
        lr.Select((p, i) => (1 - weightOnTrees) * p + weightOnTrees * trees[i]).ToArray();

    /// <summary>LR fits averaged over seeds: on a few thousand rows the order of SGD steps moves AUC by a point. (FastTree is deterministic here: no bagging.)</summary>
    private const int Bags = 5;

    private static double[] Logistic(List<CtrSamples.Row> train, List<CtrSamples.Row> test, LogisticOptions o, int seed)
    {
        var seen = Seen(train);
        var trainTokens = train.Select(r => Tokens(r, seen, o.MinCount)).ToList();
        var testTokens = test.Select(r => Tokens(r, seen, o.MinCount)).ToList();
        var sum = new double[test.Count];
        for (var bag = 0; bag < Bags; bag++)
        {
            var model = new HashedLogistic(bits: 20, l2: o.L2, rate: o.Rate, epochs: o.Epochs, pairs: o.Pairs).Fit(trainTokens, Labels(train), seed + bag);
            for (var i = 0; i < test.Count; i++) sum[i] += model.Predict(testTokens[i]) / Bags;
        }
        return sum;
    }

    /// <summary>How often each field value occurs in the training rows (no labels involved).</summary>
    private static Dictionary<string, int>[] Seen(List<CtrSamples.Row> train)
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
         .. row.Numeric.Select(v => float.IsNaN(v) ? "na" : v <= 0 ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : ((int)Math.Log2(v + 1)).ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static double[] TreeScores(List<CtrSamples.Row> train, List<CtrSamples.Row> test, CtrSamples.Split split, TreeOptions options, int seed)
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

    private static float[] Numeric(CtrSamples.Row row) => row.Numeric.Select(v => float.IsNaN(v) ? -1f : v).ToArray();
}
