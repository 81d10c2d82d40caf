using Engine.Models.Decisions;
using Engine.Models.Scoring;
using Engine.Models.Tests.Experiments;
using Engine.Models.Tests.Scoring;

namespace Engine.Models.Tests.Decisions;

/// <summary>The churn alert threshold is the serving model's (<c>thresholds.alert</c> in its model.json), and follows a hot reload.</summary>
public sealed class ChurnThresholdsTests : IDisposable
{
    private readonly ModelFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void A_churn_model_alerts_at_the_threshold_its_model_json_names_and_a_reload_brings_the_new_one()
    {
        var user = Bidders.Bidder("u-1").User;
        var asOf = Bidders.Start.AddDays(5);
        using var churn = new ModelRegistry(WithAlertThreshold("strict", 1.0), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"), new DecisionSettings(), new CampaignBoard());

        var episode = ChurnEpisode.Armed;
        Assert.Null(decider.CheckChurn(user, ref episode, asOf, "sweep:0:1")); // this user's probability is below 1 (a threshold above 1 is refused as not a probability)

        Assert.True(churn.TryReload(WithAlertThreshold("eager", 0.0)).Loaded);
        var alert = decider.CheckChurn(user, ref episode, asOf, "sweep:0:2");
        Assert.NotNull(alert);
        Assert.Equal(0.0, alert.Threshold);
    }

    [Fact]
    public void Without_thresholds_the_default_policy_applies_and_the_rearm_level_stays_below_a_low_threshold()
    {
        var metadata = new ModelMetadata { Name = "churn", Version = "v", Features = ["f"] };
        Assert.Same(ChurnAlertPolicy.Default, ChurnAlertPolicy.From(metadata));
        Assert.Equal(new ChurnAlertPolicy(0.4, 0.2), ChurnAlertPolicy.From(metadata with { Thresholds = new Dictionary<string, double> { ["alert"] = 0.4 } }), Close);
        Assert.Equal(new ChurnAlertPolicy(0.8, 0.6),
            ChurnAlertPolicy.From(metadata with { Thresholds = new Dictionary<string, double> { ["alert"] = 0.8, ["rearm"] = 0.6 } }));
        // A low threshold without a rearm level: the episode still re-arms (before 2026-12-07 the level was 0, below every
        // probability, and a user was alerted once for ever).
        var low = ChurnAlertPolicy.From(metadata with { Thresholds = new Dictionary<string, double> { ["alert"] = 0.15 } });
        Assert.Equal(0.075, low.RearmBelow, 9);
        Assert.Equal(ChurnEpisode.Armed, low.Next(ChurnEpisode.Alerted, 0.01));
    }

    private static readonly IEqualityComparer<ChurnAlertPolicy> Close = EqualityComparer<ChurnAlertPolicy>.Create(
        (a, b) => Math.Abs(a!.Threshold - b!.Threshold) < 1e-9 && Math.Abs(a.RearmBelow - b.RearmBelow) < 1e-9);

    private string WithAlertThreshold(string name, double threshold)
    {
        var path = _files.Copy(name, version: "churn-" + name);
        var json = Path.ChangeExtension(path, ".json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"alert\": 0.7", $"\"alert\": {threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)}"));
        return path;
    }
}
