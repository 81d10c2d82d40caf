using Engine.Models.Scoring;
using Engine.Models.Simulation;
using Engine.Training.Data;
using Engine.Training.Ml;

namespace Engine.Training.Training;

/// <summary>
/// The churn and bid (click-through) models the engine serves: trained on one simulated world, checked on a second
/// world drawn from the next seed (never seen in training), written as <c>model.onnx</c> + <c>model.json</c>.
/// </summary>
public static class SimulatedModels
{
    public static readonly int[] ChurnCutoffDays = [10, 14, 17, 21];
    public static readonly TreeOptions ChurnTrees = new(Trees: 100, Leaves: 16, MinLeafCount: 50, LearningRate: 0.1);
    public static readonly TreeOptions BidTrees = new(Trees: 100, Leaves: 8, MinLeafCount: 100, LearningRate: 0.05);

    public sealed record Figures(
        double ChurnAuc, double ChurnTruthAuc, double ChurnRecencyAuc,
        double BidAuc, double BidOracleAuc, double BidCampaignCtrAuc, double BidCorrelationWithTrueCtr);

    public sealed record Fitted(int Seed, int Users, SimulatedData Train, SimulatedData Test, FastTreeModel Churn, FastTreeModel Bid, Figures Figures);

    public static Fitted Fit(int seed, int users, TextWriter log)
    {
        log.WriteLine($"simulating training world (seed {seed}, {users} users) and test world (seed {seed + 1})...");
        var train = SimulatedData.Generate(new SimulatorOptions { Seed = seed, Users = users }, ChurnCutoffDays);
        var test = SimulatedData.Generate(new SimulatorOptions { Seed = seed + 1, Users = users }, ChurnCutoffDays);
        log.WriteLine($"  train world: {train.Events:N0} events, {train.Churn.Count:N0} churn rows ({train.Churn.PositiveRate:P1} churned), {train.Bid.Count:N0} impressions ({train.Bid.PositiveRate:P2} clicked)");

        var churn = FastTreeModel.Train(train.Churn, ChurnTrees, seed);
        var churnScores = churn.Predict(test.Churn.Rows);
        var recency = test.Churn.Rows.Select(r => (double)r[FeatureIndex.User["seconds_since_last_event"]]).ToArray();

        var bid = FastTreeModel.Train(train.Bid, BidTrees, seed);
        var bidScores = bid.Predict(test.Bid.Rows);
        var campaignCtr = test.Bid.Rows.Select(r => (double)r[ModelSchemas.Bid.ToList().IndexOf("campaign.smoothed_ctr_24h")]).ToArray();

        var figures = new Figures(
            Metrics.Auc(churnScores, test.Churn.Labels), Metrics.Auc(churnScores, test.ChurnTruth), Metrics.Auc(recency, test.Churn.Labels),
            Metrics.Auc(bidScores, test.Bid.Labels), Metrics.Auc(test.ClickTruth, test.Bid.Labels), Metrics.Auc(campaignCtr, test.Bid.Labels),
            Metrics.Pearson(bidScores.Select(s => (double)s).ToArray(), test.ClickTruth));
        log.WriteLine($"  churn: AUC {figures.ChurnAuc:F4} (vs truth {figures.ChurnTruthAuc:F4}; recency alone {figures.ChurnRecencyAuc:F4})");
        log.WriteLine($"  bid: AUC {figures.BidAuc:F4} (true CTR as score {figures.BidOracleAuc:F4}; campaign smoothed CTR alone {figures.BidCampaignCtrAuc:F4}); correlation with true CTR {figures.BidCorrelationWithTrueCtr:F3}");
        return new Fitted(seed, users, train, test, churn, bid, figures);
    }

    public static void Write(Fitted fitted, string outDir, TextWriter log)
    {
        var version = $"sim-{fitted.Seed}-{fitted.Users}";
        var world = $"simulator seed {fitted.Seed}, {fitted.Users} users, 28 days (test: seed {fitted.Seed + 1})";
        var f = fitted.Figures;
        ModelWriter.Write(Path.Combine(outDir, "churn"), fitted.Churn, "churn", version,
            $"{world}; one row per user active before each cutoff (days {string.Join("/", ChurnCutoffDays)}); label: no event in the next {SimulatedData.Horizon.TotalDays} days",
            new Dictionary<string, double> { ["test_auc"] = f.ChurnAuc, ["truth_auc"] = f.ChurnTruthAuc, ["recency_auc"] = f.ChurnRecencyAuc },
            new Dictionary<string, double> { ["alert"] = 0.7 }, fitted.Seed);
        ModelWriter.Write(Path.Combine(outDir, "bid"), fitted.Bid, "bid", version,
            $"{world}; one row per ad impression (features from the events before it); label: clicked",
            new Dictionary<string, double> { ["test_auc"] = f.BidAuc, ["oracle_auc"] = f.BidOracleAuc, ["campaign_ctr_auc"] = f.BidCampaignCtrAuc },
            new Dictionary<string, double>(), fitted.Seed);
        log.WriteLine($"  wrote {outDir}/churn and {outDir}/bid (model.onnx + model.json)");
    }
}
