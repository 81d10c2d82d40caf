using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Models.Tests.Scoring;

namespace Engine.Models.Tests.Experiments;

/// <summary>The committed churn, bid and recommendation models, loaded once for the experiment tests.</summary>
internal static class CommittedModels
{
    private static readonly Lazy<DecisionModels> Loaded = new(() => new DecisionModels(
        new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn),
        new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid),
        RecommenderFiles.Load(Path.GetDirectoryName(ModelFiles.Committed("recs"))!), "recs-committed"));

    public static DecisionModels Decision => Loaded.Value;
}
