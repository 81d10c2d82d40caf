using Engine.Models.Simulation;
using Engine.Training.Data;
using Engine.Training.Ml;

namespace Engine.Training.Training;

/// <summary>
/// Trains the churn and bid (click-through) models the engine serves, on one simulated world, checks them on a second
/// world drawn from the next seed, and writes each as <c>model.onnx</c> + <c>model.json</c>.
/// </summary>
public static class SimulatedModels
{
    public static readonly int[] ChurnCutoffDays = [10, 14, 17, 21];
    public static readonly TreeOptions ChurnTrees = new(Trees: 100, Leaves: 16, MinLeafCount: 50, LearningRate: 0.1);
    public static readonly TreeOptions BidTrees = new(Trees: 100, Leaves: 8, MinLeafCount: 100, LearningRate: 0.05);

    public static SimulatorOptions World(int seed, int users) => new() { Seed = seed, Users = users };

    public sealed record Result(string Name, FastTreeModel Model, double TestAuc, double TruthAuc, string TrainingData);

    public static IReadOnlyList<Result> Train(string outDir, int seed, int users, TextWriter log)
    {
        log.WriteLine($"simulating training world (seed {seed}, {users} users) and test world (seed {seed + 1})...");
        var train = SimulatedData.Generate(World(seed, users), ChurnCutoffDays);
        var test = SimulatedData.Generate(World(seed + 1, users), ChurnCutoffDays);
        log.WriteLine($"  train: {train.Events:N0} events, {train.Churn.Count:N0} churn rows ({train.Churn.PositiveRate:P1} churned), {train.Bid.Count:N0} impressions ({train.Bid.PositiveRate:P2} clicked)");

        var churn = FastTreeModel.Train(train.Churn, ChurnTrees, seed);
        var churnScores = churn.Predict(test.Churn.Rows);
        var churnResult = new Result("churn", churn, Metrics.Auc(churnScores, test.Churn.Labels), Metrics.Auc(churnScores, test.ChurnTruth),
            $"simulator seed {seed}, {users} users, 28 days; rows at days {string.Join("/", ChurnCutoffDays)}; label: no event in the next {SimulatedData.Horizon.TotalDays} days");

        var bid = FastTreeModel.Train(train.Bid, BidTrees, seed);
        var bidScores = bid.Predict(test.Bid.Rows);
        var bidResult = new Result("bid", bid, Metrics.Auc(bidScores, test.Bid.Labels), Metrics.Pearson(bidScores.Select(s => (double)s).ToArray(), test.ClickTruth),
            $"simulator seed {seed}, {users} users, 28 days; one row per ad impression, label: clicked");

        var version = $"sim-{seed}-{users}";
        ModelWriter.Write(Path.Combine(outDir, "churn"), churn, "churn", version, churnResult.TrainingData,
            new Dictionary<string, double> { ["test_auc"] = churnResult.TestAuc, ["truth_auc"] = churnResult.TruthAuc },
            new Dictionary<string, double> { ["alert"] = 0.7 }, seed);
        ModelWriter.Write(Path.Combine(outDir, "bid"), bid, "bid", version, bidResult.TrainingData,
            new Dictionary<string, double> { ["test_auc"] = bidResult.TestAuc, ["pearson_vs_true_ctr"] = bidResult.TruthAuc },
            new Dictionary<string, double>(), seed);
        log.WriteLine($"  churn: test AUC {churnResult.TestAuc:F3} (vs truth {churnResult.TruthAuc:F3}); bid: test AUC {bidResult.TestAuc:F3}, correlation with true CTR {bidResult.TruthAuc:F3}");
        log.WriteLine($"  wrote {outDir}/churn and {outDir}/bid");
        return [churnResult, bidResult];
    }
}
