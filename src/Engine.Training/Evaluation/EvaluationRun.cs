using Engine.Training.Data;
using Engine.Training.Training;

namespace Engine.Training.Evaluation;

/// <summary>Runs every evaluation once, in order, and gathers the figures.</summary>
public static class EvaluationRun
{
    public static readonly string[] Sections = ["simulator", "yoochoose", "cdnow", "criteo", "avazu"];

    public static EvaluationReport Run(DirectoryInfo data, int seed, int users, IReadOnlySet<string> only, TextWriter log)
    {
        var report = new EvaluationReport { DataFolder = data.FullName, Seed = seed };
        bool Wanted(string section) => only.Count == 0 || only.Contains(section);

        if (Wanted("simulator"))
        {
            log.WriteLine("simulator:");
            var fitted = SimulatedModels.Fit(seed, users, log);
            var recs = Path.Combine(Path.GetTempPath(), $"engine-sim-recs-{Environment.ProcessId}");
            using (var ranker = SimulatedRecs.Write(fitted.Train, seed, users, recs, log))
                report.Simulator = (fitted.Figures, SimulatedRecEvaluation.Run(fitted.Test, ranker, log), $"seed {seed} (train) / {seed + 1} (test), {users} users, 28 days");
            Directory.Delete(recs, recursive: true);
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
}
