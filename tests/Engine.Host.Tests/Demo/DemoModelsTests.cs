using Engine.Host.Demo;
using Engine.Models.Scoring;
using Engine.Testing;

namespace Engine.Host.Tests.Demo;

public sealed class DemoModelsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-models-").FullName;

    [Fact]
    public void A_models_folder_without_the_recommenders_ranker_stops_the_start_and_says_what_to_copy()
    {
        CopyModels(except: Path.Combine("recs", "model.onnx"));

        var error = Assert.Throws<ModelLoadException>(() => DemoModels.Load(_folder));

        Assert.Contains(Path.Combine(_folder, "recs", "model.onnx"), error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void The_recommendations_carry_the_version_of_the_ranker_that_was_loaded()
    {
        CopyModels(except: null);

        var models = DemoModels.Load(_folder);

        Assert.Equal(models.Recommender.Ranker!.Version, models.RecommenderVersion);
        Assert.Equal(ModelMetadata.Parse(File.ReadAllText(Path.Combine(_folder, "recs", "model.json"))).Version, models.RecommenderVersion);
    }

    private void CopyModels(string? except)
    {
        var source = Path.Combine(RepoPaths.Root, "models");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative == except) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_folder, relative))!);
            File.Copy(file, Path.Combine(_folder, relative));
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
