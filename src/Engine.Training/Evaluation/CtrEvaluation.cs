using Engine.Training.Data;
using Engine.Training.Ml;

namespace Engine.Training.Evaluation;

/// <summary>
/// Criteo / Avazu click-through: the hashed logistic regression baseline, FastTree over numeric fields plus count and
/// out-of-fold target encodings, and their blend; a factorization machine beside them, which joins the blend only if
/// it lifts the blend's CV AUC clearly. Every choice (LR, tree and FM settings, blend weights) is made by 5-fold
/// cross-validation on train+dev; the chosen recipe is then refit on all of train+dev and scored once on test.
/// </summary>
/// <remarks>
/// Cross-validation rather than one held-out slice: the samples' test rows are a random draw from the same days as the
/// training rows (as many of their categorical values were seen in training as for a random slice of train), and a
/// single slice of ~1,100 rows moved AUC by more than the differences between settings.
/// </remarks>
public static class CtrEvaluation
{
    private const int Folds = 5;

    private static readonly TreeOptions[] TreeGrid =
    [
        new(Trees: 500, Leaves: 4, MinLeafCount: 50, LearningRate: 0.02, FeatureFraction: 0.5),
        new(Trees: 400, Leaves: 8, MinLeafCount: 100, LearningRate: 0.02, FeatureFraction: 0.3),
        new(Trees: 600, Leaves: 8, MinLeafCount: 200, LearningRate: 0.015, FeatureFraction: 0.2),
        new(Trees: 300, Leaves: 16, MinLeafCount: 200, LearningRate: 0.02, FeatureFraction: 0.3),
    ];

    /// <summary>L2 hardly moves AdaGrad over three epochs here; how rare a value may be before it shares the "rare" weight does.</summary>
    private static readonly LogisticOptions[] LogisticGrid =
        [.. from rate in new[] { 0.05, 0.1 } from minCount in new[] { 1, 3, 5, 10 } select new LogisticOptions(1e-4, 3, rate, minCount)];

    /// <summary>Factor L2 and epochs matter most: weak L2 or more epochs let the factors overfit a few thousand rows.</summary>
    private static readonly FactorizationOptions[] FactorizationGrid =
        [.. from k in new[] { 4, 8 } from factorL2 in new[] { 0.01, 1.0 } from epochs in new[] { 3, 5 } from minCount in new[] { 1, 10 }
            select new FactorizationOptions(k, 1e-4, factorL2, epochs, 0.02, minCount)];

    private static readonly double[] WeightSteps = [0.0, 0.25, 0.5, 0.75, 1.0];

    /// <summary>
    /// How much the FM must lift the blend's CV AUC to join it: smaller gains are within what picking the best of a
    /// weight grid on the same folds gives by chance.
    /// </summary>
    private const double JoinMargin = 0.003;

    /// <summary>The baseline as usually run: hashed one-hot LR with fixed, untuned settings.</summary>
    private static readonly LogisticOptions Baseline = new(1e-4, 3, 0.05, 1);

    /// <param name="BaselineLogisticAuc">Test AUC of the fixed <see cref="Baseline"/> LR (the reproduced baseline, settings <paramref name="BaselineLogisticSettings"/>).</param>
    /// <param name="TunedLogisticAuc">Test AUC of the CV-chosen LR (settings <paramref name="LogisticSettings"/>, CV AUC <paramref name="ValidationLogisticAuc"/>): the LR in the blend.</param>
    public sealed record Result(string Dataset, int TrainRows, int TestRows, double BaselineLogisticAuc, double TunedLogisticAuc, double TreesAuc, double FactorizationAuc, double BlendAuc,
        BlendWeights Blend, string BaselineLogisticSettings, string LogisticSettings, string TreeSettings, string FactorizationSettings,
        double ValidationLogisticAuc, double ValidationTreesAuc, double ValidationFactorizationAuc, double ValidationBlendAuc,
        BlendWeights BestWithFactorization, double ValidationBestWithFactorizationAuc);

    public static Result Run(string name, CtrSamples.Split split, int seed, TextWriter log)
    {
        var rows = split.Train;
        var labels = CtrModels.Labels(rows);
        double[] OutOfFold(Func<List<CtrSamples.Row>, List<CtrSamples.Row>, double[]> model) =>
            CrossValidation.OutOfFold(rows.Count, Folds, seed, (train, heldOut) => model(Pick(rows, train), Pick(rows, heldOut)));

        var (lrOptions, lrOof) = LogisticGrid.Select(o => (o, Scores: OutOfFold((a, b) => CtrModels.Logistic(a, b, o, seed))))
            .MaxBy(x => Metrics.Auc(x.Scores, labels));
        var (treeOptions, treeOof) = TreeGrid.Select(o => (o, Scores: OutOfFold((a, b) => CtrModels.Trees(a, b, split, o, seed))))
            .MaxBy(x => Metrics.Auc(x.Scores, labels));
        var (fmOptions, fmOof) = FactorizationGrid.Select(o => (o, Scores: OutOfFold((a, b) => CtrModels.Factorization(a, b, o, seed))))
            .MaxBy(x => Metrics.Auc(x.Scores, labels));
        double Cv(BlendWeights w) => Metrics.Auc(w.Mix(lrOof, treeOof, fmOof), labels);
        var twoWay = WeightSteps.Select(t => new BlendWeights(1 - t, t, 0)).MaxBy(Cv)!;
        var withFm = (from fm in WeightSteps.Where(f => f > 0) from t in WeightSteps where fm + t <= 1 select new BlendWeights(1 - fm - t, t, fm)).MaxBy(Cv)!;
        var blend = Cv(withFm) >= Cv(twoWay) + JoinMargin ? withFm : twoWay;
        var (lrCv, treesCv, fmCv) = (Metrics.Auc(lrOof, labels), Metrics.Auc(treeOof, labels), Metrics.Auc(fmOof, labels));
        log.WriteLine($"  {name} {Folds}-fold CV on train+dev: LR {lrCv:F4} {lrOptions}, trees {treesCv:F4} {treeOptions}, FM {fmCv:F4} {fmOptions}");
        log.WriteLine($"  {name} CV blends: LR + trees {Cv(twoWay):F4} ({twoWay}), best with FM {Cv(withFm):F4} ({withFm}); chosen: {blend}");

        var testLabels = CtrModels.Labels(split.Test);
        var lrTest = CtrModels.Logistic(rows, split.Test, Baseline, seed);
        var lrChosen = CtrModels.Logistic(rows, split.Test, lrOptions, seed);
        var treeTest = CtrModels.Trees(rows, split.Test, split, treeOptions, seed);
        var fmTest = CtrModels.Factorization(rows, split.Test, fmOptions, seed);
        var result = new Result(name, rows.Count, split.Test.Count, Metrics.Auc(lrTest, testLabels), Metrics.Auc(lrChosen, testLabels),
            Metrics.Auc(treeTest, testLabels), Metrics.Auc(fmTest, testLabels), Metrics.Auc(blend.Mix(lrChosen, treeTest, fmTest), testLabels),
            blend, Baseline.ToString(), lrOptions.ToString(), treeOptions.ToString(), fmOptions.ToString(),
            lrCv, treesCv, fmCv, Cv(blend), withFm, Cv(withFm));
        log.WriteLine($"  {name} test: baseline LR {result.BaselineLogisticAuc:F4}, tuned LR {result.TunedLogisticAuc:F4}, trees {result.TreesAuc:F4}, FM {result.FactorizationAuc:F4}, blend {result.BlendAuc:F4}");
        return result;
    }

    private static List<CtrSamples.Row> Pick(List<CtrSamples.Row> rows, int[] indices) => indices.Select(i => rows[i]).ToList();
}
