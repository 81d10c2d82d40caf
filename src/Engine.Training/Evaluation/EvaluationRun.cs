using Engine.Training.Data;
using Engine.Training.Training;

namespace Engine.Training.Evaluation;

/// <summary>Runs every evaluation once, in order, and gathers the figures.</summary>
public static class EvaluationRun
{
    public static EvaluationReport Run(DirectoryInfo data, int seed, int users, TextWriter log)
    {
        var report = new EvaluationReport { DataFolder = data.FullName, Seed = seed };

        log.WriteLine("simulator:");
        var fitted = SimulatedModels.Fit(seed, users, log);
        report.Simulator = (fitted.Figures, SimulatedRecEvaluation.Run(fitted.Test, log), $"seed {seed} (train) / {seed + 1} (test), {users} users, 28 days");

        log.WriteLine("yoochoose-100k:");
        var yoochoose = Path.Combine(data.FullName, "yoochoose-100k");
        report.YooChoose = YooChooseEvaluation.Run(yoochoose, log);
        report.YooChooseBaselines = PublishedRecs.Score(yoochoose, YooChoose.Read(Path.Combine(yoochoose, "yoochoose-clicks-100k_test.txt")));

        log.WriteLine("cdnow:");
        report.Cdnow = CdnowEvaluation.Run(Path.Combine(data.FullName, "cdnow"), seed, log);

        log.WriteLine("criteo / avazu:");
        var ctr = Path.Combine(data.FullName, "criteo-avazu-ctr-samples");
        report.Criteo = CtrEvaluation.Run("criteo", CtrSamples.Criteo(Path.Combine(ctr, "criteo")), seed, log);
        report.Avazu = CtrEvaluation.Run("avazu", CtrSamples.Avazu(Path.Combine(ctr, "avazu")), seed, log);
        return report;
    }
}
