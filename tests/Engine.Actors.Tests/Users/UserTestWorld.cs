using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;

namespace Engine.Actors.Tests.Users;

/// <summary>A small catalogue, the committed models and a campaign board, for user actor tests.</summary>
internal sealed class UserTestWorld : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    public UserTestWorld()
    {
        Churn = new ModelRegistry(Engine.Testing.RepoPaths.Model("churn"), ModelSchemas.Churn);
        Bid = new ModelRegistry(Engine.Testing.RepoPaths.Model("bid"), ModelSchemas.Bid);
        // Sessions that browse shoes together, and books together: co-visitation learns both neighbourhoods.
        var builder = new SessionIndexBuilder();
        for (var s = 0; s < 40; s++)
        {
            var family = s % 2 == 0 ? "shoe" : "book";
            for (var i = 0; i < 4; i++) builder.Add($"s{s}", $"{family}-{(s + i) % 6}", s * 100 + i);
        }
        Models = new DecisionModels(Churn, Bid, new SessionRecommender(builder.Build()), "recs-test");
    }

    public ModelRegistry Churn { get; }
    public ModelRegistry Bid { get; }
    public DecisionModels Models { get; }
    public CampaignBoard Campaigns { get; } = new();

    public UserDecider Decider(DecisionSettings? settings = null) => new(Models, settings ?? new DecisionSettings(), Campaigns);

    public static CampaignSpec Campaign(string id, decimal valuePerClick = 2m) => new()
    {
        CampaignId = id, Budget = 1000m, FlightStart = T0.AddDays(-1), FlightEnd = T0.AddDays(10),
        ValuePerClick = valuePerClick, ValuePerConversion = 20m, MaxCpm = 20m, Category = "shoes",
    };

    public void Dispose()
    {
        Churn.Dispose();
        Bid.Dispose();
    }
}
