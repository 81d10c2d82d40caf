using System.Text;
using Engine.Models.Recommendations;
using Engine.Training.Data;
using Engine.Training.Ml;
using Engine.Training.Training;

namespace Engine.Training.Evaluation;

/// <summary>
/// YooChoose-100k: tune <see cref="RecommenderOptions"/> on the last 10% of training sessions (by start time) with an
/// index of the first 90%, then index all of train_full and report the test split once: the first 100 test sessions
/// (the published baselines' rows) and the whole test set.
/// </summary>
public static class YooChooseEvaluation
{
    /// <summary>List length scored (HR@20, MRR@20), as the published baselines.</summary>
    public const int K = 20;

    public sealed record Result(RecommenderOptions Options, SessionRecEvaluation.Score Validation,
        SessionRecEvaluation.Score First100, SessionRecEvaluation.Score All, string First100Csv,
        RerankerChoice Reranker, SessionRecEvaluation.Score BlendFirst100, SessionRecEvaluation.Score BlendAll);

    /// <summary>The re-ranker's settings and its figures on the validation sessions (the ones that also chose the blend's knobs and the trees: not held out), beside the blend's.</summary>
    public sealed record RerankerChoice(TreeOptions Trees, int Rows, SessionRecEvaluation.Score Blend, SessionRecEvaluation.Score Learned);

    public static Result Run(string folder, int seed, TextWriter log)
    {
        var train = YooChoose.Read(Path.Combine(folder, "yoochoose-clicks-100k_train_full.txt"));
        var test = YooChoose.Read(Path.Combine(folder, "yoochoose-clicks-100k_test.txt"));
        var byStart = train.OrderBy(s => s.Start).ToList();
        var cut = byStart.Count * 9 / 10;
        var validation = byStart.Skip(cut).ToList();
        var fit = new SessionRecommender(SessionRecEvaluation.Index(byStart.Take(cut)));

        var (options, validationScore) = Tune(fit, validation, log);
        log.WriteLine($"  yoochoose: tuned on {validationScore.Positions} validation positions: HR@20 {validationScore.HitRate:F4} MRR@20 {validationScore.Mrr:F4} with {options}");

        var models = Path.Combine(Path.GetTempPath(), $"engine-yoochoose-ranker-{Environment.ProcessId}");
        var (choice, ranker) = FitRanker(byStart.Take(cut).ToList(), options, fit.With(options), validation, seed, models, log);

        var blend = new SessionRecommender(SessionRecEvaluation.Index(train), options);
        var recommender = blend.With(ranker);
        var csv = new StringBuilder();
        var first100Sessions = First100(folder, test);
        var first100 = SessionRecEvaluation.Run(recommender, first100Sessions, K, csv);
        var all = SessionRecEvaluation.Run(recommender, test, K);
        var blendFirst100 = SessionRecEvaluation.Run(blend, first100Sessions, K);
        var blendAll = SessionRecEvaluation.Run(blend, test, K);
        log.WriteLine($"  yoochoose test (learned ranker): first 100 sessions ({first100.Positions} positions) HR@20 {first100.HitRate:F4} MRR@20 {first100.Mrr:F4}; all ({all.Positions}) HR@20 {all.HitRate:F4} MRR@20 {all.Mrr:F4}");
        log.WriteLine($"  yoochoose test (blend alone):   first 100 HR@20 {blendFirst100.HitRate:F4} MRR@20 {blendFirst100.Mrr:F4}; all HR@20 {blendAll.HitRate:F4} MRR@20 {blendAll.Mrr:F4}");
        ranker.Dispose();
        Directory.Delete(models, recursive: true);
        return new Result(options, validationScore, first100, all, csv.ToString(), choice, blendFirst100, blendAll);
    }

    /// <summary>Folds of the fitting sessions whose clicks become re-ranker rows, each with an index of the other folds.</summary>
    private const int RankerFolds = 5;

    /// <summary>
    /// Trains the re-ranker on the fitting sessions (the first 90%): each fold's clicks are scored against an index of
    /// the other folds, so every row comes from a session its index has not seen, as at serving time. Tree settings
    /// are chosen on the validation sessions (index of the first 90%); the test never takes part in a choice.
    /// </summary>
    private static (RerankerChoice, LearnedRanker) FitRanker(List<YooChoose.Session> fitting, RecommenderOptions options,
        SessionRecommender fit, List<YooChoose.Session> validation, int seed, string dir, TextWriter log)
    {
        Dataset? learn = null;
        for (var fold = 0; fold < RankerFolds; fold++)
        {
            var others = new SessionRecommender(SessionRecEvaluation.Index(fitting.Where((_, i) => i % RankerFolds != fold)), options);
            var rows = RecsRanker.Rows(others, fitting.Where((_, i) => i % RankerFolds == fold).Select(s => s.Items));
            if (learn is null) learn = rows;
            else for (var r = 0; r < rows.Count; r++) learn.Add(rows.Rows[r], rows.Labels[r]);
        }
        var blendScore = SessionRecEvaluation.Run(fit, validation, K);
        log.WriteLine($"  yoochoose re-ranker: {learn!.Count:N0} rows ({learn.PositiveRate:P2} positive) from {RankerFolds} folds of the fitting sessions; blend on validation HR@20 {blendScore.HitRate:F4} MRR@20 {blendScore.Mrr:F4}");
        TreeOptions[] grid =
        [
            new(Trees: 100, Leaves: 16, MinLeafCount: 100, LearningRate: 0.1),
            new(Trees: 100, Leaves: 32, MinLeafCount: 100, LearningRate: 0.1),
            new(Trees: 400, Leaves: 32, MinLeafCount: 200, LearningRate: 0.05),
        ];
        (TreeOptions Trees, SessionRecEvaluation.Score Score, LearnedRanker Ranker)? best = null;
        foreach (var trees in grid)
        {
            var folder = Path.Combine(dir, $"{trees.Trees}-{trees.Leaves}");
            var (_, ranker) = RecsRanker.Fit(learn, trees, seed, folder, $"yoochoose-{seed}",
                $"yoochoose train_full, first 90% of sessions by start, {RankerFolds} folds each against an index of the others", new Dictionary<string, double>());
            var score = SessionRecEvaluation.Run(fit.With(ranker), validation, K);
            log.WriteLine($"    {trees}: HR@20 {score.HitRate:F4} MRR@20 {score.Mrr:F4}");
            if (best is null || score.HitRate + score.Mrr > best.Value.Score.HitRate + best.Value.Score.Mrr)
            {
                best?.Ranker.Dispose();
                best = (trees, score, ranker);
            }
            else ranker.Dispose();
        }
        return (new RerankerChoice(best!.Value.Trees, learn.Count, blendScore, best.Value.Score), best.Value.Ranker);
    }

    /// <summary>
    /// The published baselines' rows: the first 100 test sessions as listed in recoms_rsc15_100k_vsknn.csv (99 of them:
    /// session-rec dropped session 996), 387 positions; without that file, the first 100 sessions of the test file.
    /// </summary>
    public static List<YooChoose.Session> First100(string folder, List<YooChoose.Session> test)
    {
        var published = Path.Combine(folder, "recoms_rsc15_100k_vsknn.csv");
        if (!File.Exists(published)) return test.Take(100).ToList();
        var ids = File.ReadLines(published).Skip(1).Select(l => l.Split(';')[0]).ToHashSet(StringComparer.Ordinal);
        return test.Take(100).Where(s => ids.Contains(s.Id)).ToList();
    }

    /// <summary>Coordinate ascent on HR@20 + MRR@20, two rounds over each knob's grid.</summary>
    private static (RecommenderOptions, SessionRecEvaluation.Score) Tune(SessionRecommender fit, List<YooChoose.Session> validation, TextWriter log)
    {
        var best = fit.Options;
        var bestScore = Evaluate(best);
        Func<RecommenderOptions, RecommenderOptions>[][] grids =
        [
            [o => o with { Neighbours = 50 }, o => o with { Neighbours = 100 }, o => o with { Neighbours = 200 }, o => o with { Neighbours = 500 }],
            [o => o with { SampleSize = 250 }, o => o with { SampleSize = 500 }, o => o with { SampleSize = 1000 }, o => o with { SampleSize = 2500 }],
            [o => o with { PositionDecay = PositionDecay.Linear }, o => o with { PositionDecay = PositionDecay.Harmonic }],
            [o => o with { IdfWeight = 0 }, o => o with { IdfWeight = 0.5 }, o => o with { IdfWeight = 1 }, o => o with { IdfWeight = 3 }],
            [o => o with { RuleWeight = 0 }, o => o with { RuleWeight = 0.25 }, o => o with { RuleWeight = 0.5 }, o => o with { RuleWeight = 1 }, o => o with { RuleWeight = 2 }],
            [o => o with { RuleHistory = 1 }, o => o with { RuleHistory = 2 }, o => o with { RuleHistory = 3 }, o => o with { RuleHistory = 5 }],
            [o => o with { SessionItemWeight = 0 }, o => o with { SessionItemWeight = 0.1 }, o => o with { SessionItemWeight = 0.3 }, o => o with { SessionItemWeight = 1 }],
        ];
        for (var round = 0; round < 2; round++)
        {
            foreach (var grid in grids)
            {
                foreach (var change in grid)
                {
                    var candidate = change(best);
                    if (candidate == best) continue;
                    var score = Evaluate(candidate);
                    if (Objective(score) > Objective(bestScore)) (best, bestScore) = (candidate, score);
                }
            }
            log.WriteLine($"  yoochoose tuning round {round + 1}: HR@20 {bestScore.HitRate:F4} MRR@20 {bestScore.Mrr:F4}");
        }
        return (best, bestScore);

        SessionRecEvaluation.Score Evaluate(RecommenderOptions o) => SessionRecEvaluation.Run(fit.With(o), validation, K);
        static double Objective(SessionRecEvaluation.Score s) => s.HitRate + s.Mrr;
    }
}
