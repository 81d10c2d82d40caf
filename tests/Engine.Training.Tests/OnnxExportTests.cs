using Engine.Models.Scoring;
using Engine.Training.Ml;

namespace Engine.Training.Tests;

public sealed class OnnxExportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "engine-train-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { /* best effort */ }
    }

    /// <summary>Two informative features and one of noise; the label follows a logistic of the first two.</summary>
    private static Dataset Synthetic(int rows, int seed)
    {
        var random = new Random(seed);
        var data = Dataset.Empty(["x", "y", "noise"]);
        for (var i = 0; i < rows; i++)
        {
            float x = (float)random.NextDouble() * 10, y = (float)random.NextDouble() * 5, noise = (float)random.NextDouble();
            var p = 1 / (1 + Math.Exp(-(x - 5 + (y > 2.5 ? 1.5 : -1.5))));
            data.Add([x, y, noise], random.NextDouble() < p);
        }
        return data;
    }

    [Fact]
    public void Onnx_runtime_gives_the_same_probabilities_as_ml_net_for_the_same_inputs()
    {
        var train = Synthetic(2_000, 1);
        var model = FastTreeModel.Train(train, new TreeOptions(Trees: 20, Leaves: 8, MinLeafCount: 10), seed: 1);
        ModelWriter.Write(_dir, model, "toy", "t1", "synthetic", new Dictionary<string, double>(), new Dictionary<string, double>(), 1);

        var probe = Synthetic(300, 2);
        var expected = model.Predict(probe.Rows);
        using var scorer = Scorer.Load(Path.Combine(_dir, "model.onnx"), ["x", "y", "noise"]);
        for (var i = 0; i < probe.Count; i++)
            Assert.Equal(expected[i], scorer.Score(probe.Rows[i]).Probability, 5);
        Assert.True(Metrics.Auc(expected, probe.Labels) > 0.75, "the toy model should have learnt something");
    }

    [Fact]
    public void The_exported_graph_asks_only_for_the_features_and_the_metadata_lists_them_in_order()
    {
        var model = FastTreeModel.Train(Synthetic(500, 3), new TreeOptions(Trees: 5, Leaves: 4, MinLeafCount: 10), seed: 3);
        var metadata = ModelWriter.Write(_dir, model, "toy", "t2", "synthetic", new Dictionary<string, double>(), new Dictionary<string, double> { ["alert"] = 0.5 }, 3);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Path.Combine(_dir, "model.onnx"));
        Assert.Equal(["Features"], session.InputMetadata.Keys);
        Assert.Equal([-1, 3], session.InputMetadata["Features"].Dimensions);
        Assert.Contains(metadata.OutputName, session.OutputMetadata.Keys);
        Assert.Equal(["x", "y", "noise"], ModelMetadata.Parse(File.ReadAllText(Path.Combine(_dir, "model.json"))).Features);
    }

    [Fact]
    public void Models_trained_by_the_same_recipe_on_other_data_get_other_versions_and_the_same_model_the_same_one()
    {
        var options = new TreeOptions(Trees: 5, Leaves: 4, MinLeafCount: 10);
        string Version(int dataSeed, string directory) =>
            ModelWriter.Write(Path.Combine(_dir, directory), FastTreeModel.Train(Synthetic(500, dataSeed), options, seed: 1), "toy", "recipe-1", "synthetic",
                new Dictionary<string, double>(), new Dictionary<string, double>(), 1).Version;

        var (first, again, other) = (Version(4, "a"), Version(4, "b"), Version(5, "c"));

        Assert.Matches("^recipe-1-[0-9a-f]{8}$", first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        var written = ModelMetadata.Parse(File.ReadAllText(Path.Combine(_dir, "a", "model.json")));
        Assert.Equal(first, written.Version);
        Assert.StartsWith(first["recipe-1-".Length..], written.OnnxSha256);
    }
}
