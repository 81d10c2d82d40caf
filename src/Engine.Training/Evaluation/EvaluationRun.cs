using Engine.Training.Data;
using Engine.Training.Training;

namespace Engine.Training.Evaluation;

/// <summary>Runs every evaluation once, in order, and gathers the figures.</summary>
public static class EvaluationRun
{
    public static readonly string[] Sections = ["simulator", "yoochoose", "cdnow", "criteo", "avazu"];

    /// <param name="fairness">The disparity line for the simulator's fairness figures (default 0.8).</param>
    public static EvaluationReport Run(DirectoryInfo data, int seed, int users, IReadOnlySet<string> only, TextWriter log,
        Engine.Models.Fairness.FairnessSettings? fairness = null)
    {
        var report = new EvaluationReport { DataFolder = data.FullName, Seed = seed };
        bool Wanted(string section) => only.Count == 0 || only.Contains(section);

        if (Wanted("simulator"))
        {
            log.WriteLine("simulator:");
            var fitted = SimulatedModels.Fit(seed, users, log);
            var recs = Path.Combine(Path.GetTempPath(), $"engine-sim-recs-{Environment.ProcessId}");
            var (ranker, validation) = SimulatedRecs.Write(fitted.Train, seed, users, recs, log);
            using (ranker)
            {
                report.SimulatorRecsValidation = validation;
                report.Simulator = (fitted.Figures, SimulatedRecEvaluation.Run(fitted.Test, ranker, log), $"seed {seed} (train) / {seed + 1} (test), {users} users, 28 days");
            }
            Directory.Delete(recs, recursive: true);
            if (CommittedModels() is { } models)
                report.Fairness = SimulatedFairness.Run(seed, users, models, fairness ?? new Engine.Models.Fairness.FairnessSettings(), log);
            else
                log.WriteLine("  simulator fairness: skipped, no models/ folder with churn/model.onnx found from here");
        }
        if (Wanted("yoochoose"))
        {
            log.WriteLine("yoochoose-100k:");
            var yoochoose = Path.Combine(data.FullName, "yoochoose-100k");
            report.YooChoose = YooChooseEvaluation.Run(yoochoose, seed, log);
            report.YooChooseBaselines = PublishedRecs.Score(yoochoose, YooChoose.Read(Path.Combine(yoochoose, "yoochoose-clicks-100k_test.txt")));
        }
        if (Wanted("cdnow"))
        {
            log.WriteLine("cdnow:");
            report.Cdnow = CdnowEvaluation.Run(Path.Combine(data.FullName, "cdnow"), seed, log);
        }
        var ctr = Path.Combine(data.FullName, "criteo-avazu-ctr-samples");
        if (Wanted("criteo"))
        {
            log.WriteLine("criteo:");
            report.Criteo = CtrEvaluation.Run("criteo", CtrSamples.Criteo(Path.Combine(ctr, "criteo")), seed, log);
        }
        if (Wanted("avazu"))
        {
            log.WriteLine("avazu:");
            report.Avazu = CtrEvaluation.Run("avazu", CtrSamples.Avazu(Path.Combine(ctr, "avazu")), seed, log);
        }
        return report;
    }

    /// <summary>The models the engine runs: <c>models/</c> in the working directory or a folder above it.</summary>
    private static string? CommittedModels()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "models", "churn", "model.onnx"))) return Path.Combine(dir.FullName, "models");
        return null;
    }
}
