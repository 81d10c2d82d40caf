using Engine.Models.Recommendations;
using Engine.Models.Scoring;

namespace Engine.Models.Decisions;

/// <summary>The models a user's decisions use, each hot-reloadable; shared by every user actor of a node.</summary>
public sealed record DecisionModels(ModelRegistry Churn, ModelRegistry Bid, SessionRecommender Recommender, string RecommenderVersion);

/// <summary>Knobs of the user decisions.</summary>
/// <param name="RecommendationExperiment">A champion/challenger experiment on recommendations (null: none; decisions carry no variant).</param>
/// <param name="BidExperiment">The same on bid decisions.</param>
/// <param name="ChurnExperiment">The same on churn alerts.</param>
/// <param name="Shadow">Where shadow challengers' scores go (null: counted by the recommendation experiment only, not logged).</param>
/// <param name="Churn">The champion's alert policy; null: the serving churn model's own (<c>thresholds</c> in its model.json).</param>
public sealed record DecisionSettings(int RecommendationCount = 10, ChurnAlertPolicy? Churn = null,
    Engine.Models.Experiments.RecommendationExperiment? RecommendationExperiment = null,
    Engine.Models.Experiments.BidExperiment? BidExperiment = null,
    Engine.Models.Experiments.ChurnExperiment? ChurnExperiment = null,
    Engine.Models.Experiments.IShadowLog? Shadow = null)
{
    /// <summary>The champion's alert policy while <paramref name="model"/> serves.</summary>
    public ChurnAlertPolicy ChurnPolicy(Scoring.ModelMetadata model) => Churn ?? ChurnAlertPolicy.From(model);
}
