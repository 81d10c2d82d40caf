using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Models.Scoring;

/// <summary>
/// The JSON file beside every <c>model.onnx</c> (<c>model.json</c>): what the model expects and how good it was.
/// <see cref="Features"/> is the input order; <see cref="Baseline"/> (same order) is the reference vector that
/// explanations compare against (the training median of each feature).
/// </summary>
public sealed record ModelMetadata
{
    public const int CurrentFormat = 1;
    public int Format { get; init; } = CurrentFormat;
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    /// <summary>Name of the ONNX input tensor (ML.NET exports the feature vector column, <c>Features</c>).</summary>
    public string InputName { get; init; } = "Features";
    /// <summary>Name of the ONNX output holding the positive-class probability.</summary>
    public string OutputName { get; init; } = "Probability.output";
    public IReadOnlyList<float>? Baseline { get; init; }
    public IReadOnlyDictionary<string, double> Thresholds { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public string? TrainingData { get; init; }
    public string? Trainer { get; init; }
    public DateTimeOffset? TrainedAt { get; init; }
    public int? Seed { get; init; }
    /// <summary>
    /// SHA-256 (hex) of the <c>model.onnx</c> written with this file: the two files cannot be replaced in one step, and a
    /// load between the two renames would pair a new model with the old one's version, thresholds and baselines (the
    /// feature list alone need not differ). Required and checked at load (before 2026-12-06 a file without it loaded with any .onnx).
    /// </summary>
    public string? OnnxSha256 { get; init; }

    /// <summary>
    /// A recommender's re-ranker only: SHA-256 (hex) of the <c>sessions.txt</c> it was trained beside. Checked at load when
    /// present: a half-copied, empty or other run's index loaded without a word (before 2026-12-07), and its lists went out
    /// under this re-ranker's version.
    /// </summary>
    public string? SessionsSha256 { get; init; }

    /// <summary>The hex SHA-256 of a model's bytes, as <see cref="OnnxSha256"/> holds it.</summary>
    public static string Sha256Of(ReadOnlySpan<byte> model) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(model));

    public static ModelMetadata Parse(string json) =>
        JsonSerializer.Deserialize(json, ModelJson.Default.ModelMetadata)
        ?? throw new JsonException("the metadata file holds 'null'");

    public string ToJson() => JsonSerializer.Serialize(this, ModelJson.Default.ModelMetadata);
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(ModelMetadata))]
public sealed partial class ModelJson : JsonSerializerContext;
