using System.Security.Cryptography;
using Engine.Training.Training;
using Xunit.Abstractions;

namespace Engine.Training.Tests;

/// <summary>The models committed under models/ are reproducible from their seed with the code as it is.</summary>
public sealed class CommittedModelsTests(ITestOutputHelper output)
{
    [Fact]
    public void The_committed_models_are_what_train_writes_from_their_seed()
    {
        // Before 2026-12-06 the committed recommender's re-ranker was the one trained on whole click prefixes, which the code
        // no longer wrote: nothing noticed that `./engine train --seed 42` gave another model.
        var outDir = Directory.CreateTempSubdirectory("engine-train-").FullName;
        try
        {
            var fitted = SimulatedModels.Fit(42, 4000, TextWriter.Null);
            SimulatedModels.Write(fitted, outDir, TextWriter.Null);
            SimulatedRecs.Write(fitted.Train, fitted.Seed, fitted.Users, Path.Combine(outDir, "recs"), TextWriter.Null).Ranker.Dispose();
            foreach (var model in new[] { "churn", "bid", "recs" })
            {
                var (committed, trained) = (Sha(Path.Combine(ModelsFolder(), model, "model.onnx")), Sha(Path.Combine(outDir, model, "model.onnx")));
                output.WriteLine($"{model}: committed {committed[..12]}, trained now {trained[..12]}");
                Assert.True(committed == trained, $"models/{model}/model.onnx is not what `./engine train --out models --seed 42` writes: run it and commit the result");
            }
            // The recommender's sessions too, named in its model.json, which the engine checks them against at load.
            var (committedSessions, trainedSessions) = (Sha(Path.Combine(ModelsFolder(), "recs", "sessions.txt")), Sha(Path.Combine(outDir, "recs", "sessions.txt")));
            Assert.True(committedSessions == trainedSessions, "models/recs/sessions.txt is not what `./engine train --out models --seed 42` writes: run it and commit the result");
            Assert.Equal(trainedSessions, Engine.Models.Scoring.ModelMetadata.Parse(File.ReadAllText(Path.Combine(outDir, "recs", "model.json"))).SessionsSha256);
            Assert.Equal(committedSessions, Engine.Models.Scoring.ModelMetadata.Parse(File.ReadAllText(Path.Combine(ModelsFolder(), "recs", "model.json"))).SessionsSha256);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    private static string Sha(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static string ModelsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "models", "churn", "model.onnx"))) return Path.Combine(dir.FullName, "models");
        throw new DirectoryNotFoundException("no models/ folder above the test binaries");
    }
}
