using Engine.Models.Scoring;

namespace Engine.Training.Ml;

/// <summary>
/// Writes <c>DIR/model.onnx</c> and <c>DIR/model.json</c> together, the pair a <see cref="Scorer"/> loads; the version is
/// the given one (the recipe) followed by the first 8 hex digits of the model's SHA-256.
/// </summary>
public static class ModelWriter
{
    public static ModelMetadata Write(string directory, FastTreeModel model, string name, string version, string trainingData,
        IReadOnlyDictionary<string, double> metrics, IReadOnlyDictionary<string, double> thresholds, int seed)
    {
        Directory.CreateDirectory(directory);
        var onnx = Path.Combine(directory, "model.onnx");
        model.ExportOnnx(onnx);
        var sha256 = ModelMetadata.Sha256Of(File.ReadAllBytes(onnx));
        var metadata = new ModelMetadata
        {
            Name = name,
            // The recipe (seed, users) names a training run, not a model: retrained by other code, it gives other scores
            // under the same name. The model's own hash tells every decision's reader which model made it.
            Version = $"{version}-{sha256[..8]}",
            Features = model.TrainedOn.Names,
            OutputName = "Probability.output",
            Baseline = model.TrainedOn.Medians(),
            Thresholds = thresholds,
            Metrics = Rounded(metrics),
            TrainingData = trainingData,
            Trainer = $"ML.NET FastTree binary ({model.Options.Trees} trees, {model.Options.Leaves} leaves, lr {model.Options.LearningRate}), Platt-calibrated",
            TrainedAt = null,
            Seed = seed,
            OnnxSha256 = sha256,
        };
        File.WriteAllText(Path.Combine(directory, "model.json"), metadata.ToJson() + "\n");
        return metadata;
    }

    /// <summary>Replaces the metrics in <c>DIR/model.json</c> (figures only known once the written model is scored); the model itself is untouched.</summary>
    public static void WriteMetrics(string directory, IReadOnlyDictionary<string, double> metrics) =>
        Update(directory, metadata => metadata with { Metrics = Rounded(metrics) });

    /// <summary>Names in <c>DIR/model.json</c> the recommender sessions written beside it (<see cref="ModelMetadata.SessionsSha256"/>).</summary>
    public static void WriteSessionsHash(string directory, string sha256) =>
        Update(directory, metadata => metadata with { SessionsSha256 = sha256 });

    /// <summary>Rewrites <c>DIR/model.json</c> with <paramref name="change"/> applied.</summary>
    private static void Update(string directory, Func<ModelMetadata, ModelMetadata> change)
    {
        var path = Path.Combine(directory, "model.json");
        File.WriteAllText(path, change(ModelMetadata.Parse(File.ReadAllText(path))).ToJson() + "\n");
    }

    private static Dictionary<string, double> Rounded(IReadOnlyDictionary<string, double> metrics) =>
        metrics.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 4));
}
