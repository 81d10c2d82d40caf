using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Models.Simulation;

namespace Engine.Host.Demo;

/// <summary>
/// What the demo decides with: the committed models (churn, bid, and the recommender: past sessions of the
/// simulated shop plus its learned ranker, trained on seed 42; the demo streams seed 7 by default), and the simulated
/// campaigns as booked.
/// </summary>
public static class DemoModels
{
    /// <exception cref="ModelLoadException">A model file is missing, corrupt or of another schema; the recommender's re-ranker
    /// included: served without it, the lists were the blend's alone while they carried its version (review, 2026-12-06).</exception>
    public static DecisionModels Load(string modelsDirectory)
    {
        ModelRegistry? churn = null, bid = null;
        try
        {
            churn = new ModelRegistry(Path.Combine(modelsDirectory, "churn", "model.onnx"), ModelSchemas.Churn);
            bid = new ModelRegistry(Path.Combine(modelsDirectory, "bid", "model.onnx"), ModelSchemas.Bid);
            var recs = Path.Combine(modelsDirectory, "recs");
            var ranker = Path.Combine(recs, RecommenderFiles.RankerFile);
            if (!File.Exists(ranker))
                throw new ModelLoadException($"Model file '{ranker}' does not exist: the recommender serves its lists re-ranked by it. Copy the recs/ folder " +
                                             "of one './engine train' run whole (sessions.txt, model.onnx and model.json).");
            var recommender = RecommenderFiles.Load(recs);
            // The version of the ranker loaded (its model.json checked against its bytes), not of a second read of the file.
            return new DecisionModels(churn, bid, recommender, recommender.Ranker!.Version);
        }
        catch
        {
            // What loaded is of no use without the rest (a start-up tries again while a deploy completes: each try's sessions freed).
            churn?.Dispose();
            bid?.Dispose();
            throw;
        }
    }

    /// <summary>The simulated campaigns as their advertisers booked them (what the demo publishes to the campaigns topic).</summary>
    public static IReadOnlyList<CampaignSpec> CampaignSpecs(DemoOptions options) =>
        CampaignSpecs(new SimulatorOptions { Seed = options.Seed, Users = options.Users, Campaigns = options.Campaigns });

    /// <summary>
    /// The campaigns of the world <paramref name="world"/> simulates, as booked. Book those of the very options the events
    /// come from: flights scale with <see cref="SimulatorOptions.Duration"/>, and the bench's 56-day events were booked from
    /// a 28-day world's campaigns (every flight halved) until 2026-12-06, so most of its bid requests were answered
    /// "outside flight" without being priced.
    /// </summary>
    public static IReadOnlyList<CampaignSpec> CampaignSpecs(SimulatorOptions world) =>
        new SimulatedWorld(world).Campaigns
            .Select(c => new CampaignSpec
            {
                CampaignId = c.Id, Category = c.Category, Budget = c.BudgetUsd, FlightStart = c.FlightStart, FlightEnd = c.FlightEnd,
                ValuePerClick = c.BidCpmUsd, ValuePerConversion = c.BidCpmUsd * 10, MaxCpm = c.BidCpmUsd * 4,
            })
            .ToList();

    /// <summary>The models folder: <paramref name="configured"/>, else <c>models/</c> in the working directory or above the binaries.</summary>
    public static string FindDirectory(string? configured)
    {
        if (configured is not null) return configured;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "models", "churn", "model.onnx"))) return Path.Combine(dir.FullName, "models");
        throw new DirectoryNotFoundException("No models/ folder with churn/model.onnx found from here: pass --models DIR, or run ./engine train.");
    }
}
