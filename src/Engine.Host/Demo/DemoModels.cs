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
    public static DecisionModels Load(string modelsDirectory)
    {
        var churn = new ModelRegistry(Path.Combine(modelsDirectory, "churn", "model.onnx"), ModelSchemas.Churn);
        var bid = new ModelRegistry(Path.Combine(modelsDirectory, "bid", "model.onnx"), ModelSchemas.Bid);
        var recs = Path.Combine(modelsDirectory, "recs");
        return new DecisionModels(churn, bid, RecommenderFiles.Load(recs), RecommenderVersion(recs));
    }

    private static string RecommenderVersion(string recs)
    {
        var path = Path.Combine(recs, "model.json");
        try
        {
            return ModelMetadata.Parse(File.ReadAllText(path)).Version;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ModelLoadException($"Metadata file '{path}' is not valid model metadata JSON ({e.Message}). Restore the model.json written by './engine train'.", e);
        }
    }

    /// <summary>The simulated campaigns as their advertisers booked them (what the demo publishes to the campaigns topic).</summary>
    public static IReadOnlyList<CampaignSpec> CampaignSpecs(DemoOptions options) =>
        new SimulatedWorld(new SimulatorOptions { Seed = options.Seed, Users = options.Users, Campaigns = options.Campaigns }).Campaigns
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
