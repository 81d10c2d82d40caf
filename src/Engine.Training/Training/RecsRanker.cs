using Engine.Models.Recommendations;
using Engine.Training.Ml;

namespace Engine.Training.Training;

/// <summary>
/// Trains the recommendation re-ranker: every click of sessions the index has not seen becomes one request, its
/// candidates (<see cref="SessionRecommender.Candidates"/>) become rows labelled "is the next click"; requests whose
/// next click is not among the candidates teach nothing about ordering and are skipped. FastTree binary, exported to
/// ONNX with its model.json like the other models.
/// </summary>
public static class RecsRanker
{
    /// <summary>
    /// The simulator's re-ranker (<c>models/recs</c>, what the engine serves): 50 trees scored the same HR@10 + MRR@10 on
    /// validation sessions as 100 (0.5712 + 0.2362 against 0.5723 + 0.2351, on whole click prefixes before 2026-12-06; 0.5712 + 0.2350 asked as served) at half the ONNX time per ranked list; 20-40
    /// trees and 16 leaves scored a little lower (docs/models.md).
    /// </summary>
    public static readonly TreeOptions DefaultTrees = new(Trees: 50, Leaves: 32, MinLeafCount: 100, LearningRate: 0.1);

    public static Dataset Rows(SessionRecommender blend, IEnumerable<IReadOnlyList<string>> sessions)
    {
        var data = Dataset.Empty(CandidateFeatures.Names);
        var depth = blend.Options.RerankDepth;
        foreach (var items in sessions)
        {
            for (var p = 0; p + 1 < items.Count; p++)
            {
                var prefix = SessionInput.After(items, p + 1);
                var candidates = blend.Candidates(prefix, null, depth);
                var next = items[p + 1];
                if (!candidates.Any(c => c.ItemId == next)) continue;
                foreach (var c in candidates)
                {
                    var row = new float[CandidateFeatures.Width];
                    CandidateFeatures.Fill(c, candidates.Count, row);
                    data.Add(row, c.ItemId == next);
                }
            }
        }
        return data;
    }

    /// <summary>Trains, writes <c>DIR/model.onnx</c> + <c>model.json</c> and opens it as the serving ranker does.</summary>
    public static (FastTreeModel Model, LearnedRanker Ranker) Fit(Dataset rows, TreeOptions trees, int seed, string directory,
        string version, string trainingData, IReadOnlyDictionary<string, double> metrics)
    {
        var model = FastTreeModel.Train(rows, trees, seed);
        ModelWriter.Write(directory, model, "recs", version, trainingData, metrics, new Dictionary<string, double>(), seed);
        return (model, LearnedRanker.Load(Path.Combine(directory, "model.onnx")));
    }
}
