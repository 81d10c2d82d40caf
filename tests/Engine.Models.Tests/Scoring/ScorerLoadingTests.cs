using Engine.Models.Features;
using Engine.Models.Scoring;

namespace Engine.Models.Tests.Scoring;

public sealed class ScorerLoadingTests : IDisposable
{
    private readonly ModelFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void A_missing_model_file_is_refused_with_how_to_train_it()
    {
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(Path.Combine(_files.Root, "nope", "model.onnx")));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("./engine train", e.Message);
    }

    [Fact]
    public void A_model_without_its_metadata_is_refused()
    {
        var path = _files.Copy("no-json");
        File.Delete(Path.ChangeExtension(path, ".json"));
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path));
        Assert.Contains("Metadata file", e.Message);
        Assert.Contains("is missing", e.Message);
    }

    [Fact]
    public void A_corrupt_onnx_file_is_refused_as_corrupt()
    {
        var path = _files.Copy("corrupt");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path));
        Assert.Contains("not a valid ONNX model", e.Message);
        Assert.Contains("corrupt or truncated", e.Message);
    }

    /// <summary>
    /// The very file model.json names, whole, but of an opset this ONNX Runtime does not know: before 2026-12-07 it was called
    /// corrupt, and the operator copied it again, which could never help (a review). A torn copy is still called corrupt.
    /// </summary>
    [Fact]
    public void A_whole_model_this_runtime_cannot_run_is_refused_as_such_not_as_corrupt()
    {
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(Tiny("opset-99", opset: 99)));
        Assert.DoesNotContain("corrupt", e.Message);
        Assert.Contains("this engine's ONNX Runtime cannot run it", e.Message);
        Assert.Contains("opset", e.Message);
        Assert.False(e.FilesOfDifferentRuns);

        var torn = _files.Copy("torn");
        var bytes = File.ReadAllBytes(torn);
        File.WriteAllBytes(torn, bytes[..(bytes.Length / 3)]);
        var corrupt = Assert.Throws<ModelLoadException>(() => Scorer.Load(torn));
        Assert.Contains("corrupt or truncated", corrupt.Message);
        Assert.True(corrupt.FilesOfDifferentRuns); // not the file its model.json names: a node waits for the pair before refusing
    }

    [Fact]
    public void Unreadable_metadata_is_refused()
    {
        var path = _files.Copy("bad-json");
        File.WriteAllText(Path.ChangeExtension(path, ".json"), "{ \"name\": ");
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path));
        Assert.Contains("not valid model metadata JSON", e.Message);
    }

    [Theory]
    [InlineData("\"features\": [", "\"features\": null, \"was\": [", "features")]
    [InlineData("\"version\": \"", "\"version\": null, \"was\": \"", "version")]
    public void Metadata_with_a_null_where_a_value_is_needed_is_refused_by_field(string find, string replace, string field)
    {
        var path = _files.Copy("null-" + field);
        var json = Path.ChangeExtension(path, ".json");
        File.WriteAllText(json, File.ReadAllText(json).Replace(find, replace));
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path));
        Assert.Contains($"has no value for {field}", e.Message);
        // A hot reload refuses it the same way, and the serving version stays.
        using var registry = new ModelRegistry(ModelFiles.Committed("churn"));
        var reload = registry.TryReload(path);
        Assert.False(reload.Loaded);
        Assert.Contains($"has no value for {field}", reload.Error);
    }

    [Fact]
    public void A_valid_onnx_file_from_another_run_than_its_model_json_is_refused_as_a_half_deployed_pair()
    {
        // As between the two renames of a deploy: the new model.onnx beside the old model.json (here: another model's file).
        var path = _files.Copy("half-deployed");
        File.Copy(ModelFiles.Committed("bid"), path, overwrite: true);
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path));
        Assert.Contains("is not the one", e.Message);
        Assert.Contains("Deploy both files of one './engine train' run", e.Message);
    }

    [Fact]
    public void A_model_that_cannot_score_batches_is_refused_and_one_of_the_engines_shape_loads()
    {
        // The same tiny model three ways: as ./engine train exports it, with a fixed batch of 1, and with two outputs a row.
        var tiny = Scorer.Load(Tiny("symbolic-batch"));
        var scores = new float[2];
        tiny.ScoreBatch([1, 0, 0, 0, 0, 1], 2, scores); // rows (1,0,0) and (0,0,1) against weights 0.01, 0.02, 0.03
        Assert.Equal([0.01f, 0.03f], scores);
        var fixedBatch = Assert.Throws<ModelLoadException>(() => Scorer.Load(Tiny("fixed-batch", fixedBatch: 1)));
        Assert.Contains("fixed batch of 1 rows", fixedBatch.Message);
        var twoOutputs = Assert.Throws<ModelLoadException>(() => Scorer.Load(Tiny("two-outputs", outputs: 2)));
        Assert.Contains("one probability per row", twoOutputs.Message);
    }

    private string Tiny(string name, int? fixedBatch = null, int outputs = 1, float[]? baseline = null, int opset = 13)
    {
        var dir = Path.Combine(_files.Root, name);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "model.onnx");
        TinyOnnx.Write(path, features: 3, fixedBatch, outputs, opset);
        File.WriteAllText(Path.Combine(dir, "model.json"), new ModelMetadata
        {
            Name = "tiny", Version = name, Features = ["a", "b", "c"], OnnxSha256 = ModelMetadata.Sha256Of(File.ReadAllBytes(path)), Baseline = baseline,
        }.ToJson());
        return path;
    }

    /// <summary>
    /// A model whose every declared shape passes but whose answer is no probability (a raw score exported by hand): before
    /// 2026-12-07 it loaded, and a hot reload swapped it in for the version serving.
    /// </summary>
    [Fact]
    public void A_model_that_answers_no_probability_is_refused_and_a_reload_to_it_keeps_the_version_serving()
    {
        var raw = Tiny("raw-score", baseline: [100f, 100f, 100f]); // 0.01 x 100 + 0.02 x 100 + 0.03 x 100 = 6
        var error = Assert.Throws<ModelLoadException>(() => Scorer.Load(raw));
        Assert.Contains("answers 6 for its baseline row, not a probability", error.Message);

        using var registry = new ModelRegistry(Tiny("serving"));
        var reload = registry.TryReload(raw);
        Assert.False(reload.Loaded);
        Assert.Equal("serving", registry.Current.Version);
        Assert.InRange(registry.Current.Score([1f, 1f, 1f]).Probability, 0.0599, 0.0601);
    }

    /// <summary>
    /// What model.json must hold beyond its fields' presence (review, 2026-12-06): the hash that ties it to its .onnx, and
    /// thresholds that are probabilities with the re-arm level below the alert.
    /// </summary>
    [Theory]
    [InlineData("onnx_sha256", null, "does not name its model.onnx (onnx_sha256)")]
    [InlineData("thresholds", "{ \"alert\": 70 }", "thresholds outside 0..1 (alert = 70)")]
    [InlineData("thresholds", "{ \"alert\": 0.7, \"rearm\": 0.8 }", "re-arms churn alerts at 0.8, above the alert threshold")]
    public void Metadata_that_cannot_be_served_safely_is_refused_with_what_to_do(string field, string? json, string expected)
    {
        var path = _files.Copy(field + (json?.Length ?? 0));
        var metadata = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(path, ".json")))!.AsObject();
        if (json is null) metadata.Remove(field);
        else metadata[field] = System.Text.Json.Nodes.JsonNode.Parse(json);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), metadata.ToJsonString());

        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Metadata_listing_fewer_features_than_the_onnx_input_is_refused()
    {
        var path = _files.Copy("short");
        var json = File.ReadAllText(Path.ChangeExtension(path, ".json"));
        var metadata = ModelMetadata.Parse(json);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), (metadata with { Features = metadata.Features.Skip(1).ToList(), Baseline = null }).ToJson());
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path));
        Assert.Contains($"takes {FeatureNames.User.Count} features but model.json lists {FeatureNames.User.Count - 1}", e.Message);
    }

    [Fact]
    public void A_model_trained_on_another_feature_order_than_the_caller_expects_is_refused()
    {
        var path = _files.Copy("reordered");
        var expected = FeatureNames.User.Reverse().ToList();
        var e = Assert.Throws<ModelLoadException>(() => Scorer.Load(path, expected));
        Assert.Contains("Retrain the model against the current FeatureNames", e.Message);
        Assert.Contains($"first difference at position 0: model '{FeatureNames.User[0]}', engine '{expected[0]}'", e.Message);
    }

    [Fact]
    public void The_committed_churn_model_loads_against_the_agreed_user_features_and_scores_a_probability()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        var result = scorer.Score(scorer.Metadata.Baseline!.ToArray());
        Assert.InRange(result.Probability, 0f, 1f);
        Assert.Equal(scorer.Version, result.ModelVersion);
    }

    [Fact]
    public void A_vector_of_the_wrong_width_is_rejected_per_call()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        Assert.Throws<ArgumentException>(() => scorer.Score(new float[scorer.Width + 1]));
    }
}
