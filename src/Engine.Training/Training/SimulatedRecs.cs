using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Training.Data;
using Engine.Training.Evaluation;
using Engine.Training.Ml;

namespace Engine.Training.Training;

/// <summary>
/// The recommender the engine serves on the simulated shop (<c>models/recs/</c>): the training world's product-view
/// sessions before day <see cref="SimulatedRecEvaluation.CutoffDay"/> as the index (<c>sessions.txt</c>), and a
/// re-ranker learnt on the sessions after it (which the index has not seen), exported to ONNX.
/// </summary>
public static class SimulatedRecs
{
    /// <summary>Sessions after the cutoff used as re-ranker training requests (enough for a stable model, and quick).</summary>
    public const int TrainingSessions = 4_000;

    /// <summary>
    /// Builds the index and the re-ranker into <paramref name="directory"/>; the re-ranker's <c>model.json</c> carries its
    /// HR@10 / MRR@10 on validation sessions (the training world's next sessions after its own), which are also returned.
    /// </summary>
    public static (LearnedRanker Ranker, SimulatedRecEvaluation.Result Validation) Write(SimulatedData train, int seed, int users, string directory, TextWriter log)
    {
        var index = SimulatedRecEvaluation.Index(train);
        var blend = new SessionRecommender(index);
        var cutoff = SimulatedRecEvaluation.Cutoff(train);
        var rows = RecsRanker.Rows(blend, train.ViewSessions.Where(s => s.End >= cutoff).Take(TrainingSessions).Select(s => (IReadOnlyList<string>)s.Items));
        log.WriteLine($"  recs re-ranker: {rows.Count:N0} candidate rows ({rows.PositiveRate:P2} next clicks) from {TrainingSessions} sessions after day {SimulatedRecEvaluation.CutoffDay}");
        var (version, trainingData) = ($"sim-{seed}-{users}",
            $"simulator seed {seed}, {users} users: index = product-view sessions before day {SimulatedRecEvaluation.CutoffDay}; rows = candidates of each click of the next {TrainingSessions} sessions, label = next click");
        var (_, ranker) = RecsRanker.Fit(rows, RecsRanker.DefaultTrees, seed, directory, version, trainingData, new Dictionary<string, double>());
        var validation = SimulatedRecEvaluation.Run(train, ranker, log, skip: TrainingSessions);
        ModelWriter.WriteMetrics(directory, new Dictionary<string, double> { ["validation_hr10"] = validation.HitRate, ["validation_mrr10"] = validation.Mrr });
        RecommenderFiles.WriteSessions(index, directory);
        // Last: model.json names the sessions written beside it, which the engine checks at load.
        ModelWriter.WriteSessionsHash(directory, ModelMetadata.Sha256Of(File.ReadAllBytes(Path.Combine(directory, RecommenderFiles.SessionsFile))));
        log.WriteLine($"  wrote {directory} ({index.SessionCount:N0} sessions, {index.Items.Count:N0} items; model.onnx + model.json + {RecommenderFiles.SessionsFile})");
        return (ranker, validation);
    }
}
