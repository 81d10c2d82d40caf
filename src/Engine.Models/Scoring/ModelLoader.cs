using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace Engine.Models.Scoring;

/// <summary>
/// Opens <c>model.onnx</c> with its <c>model.json</c> and checks that they agree with each other and with the caller;
/// every refusal is a <see cref="ModelLoadException"/> that says what to do.
/// </summary>
internal static class ModelLoader
{
    public static (InferenceSession Session, ModelMetadata Metadata, int Width) Open(
        string modelPath, IReadOnlyList<string>? expectedFeatures)
    {
        var metadataPath = Path.ChangeExtension(modelPath, ".json");
        if (!File.Exists(modelPath))
            throw new ModelLoadException(
                $"Model file '{modelPath}' does not exist. Train it with './engine train' (or point the configuration at the folder that holds model.onnx and model.json).");
        if (!File.Exists(metadataPath))
            throw new ModelLoadException(
                $"Metadata file '{metadataPath}' is missing beside '{modelPath}'. Copy the model.json produced with this model by './engine train'; a model without its feature list cannot be used safely.");

        var metadata = ReadMetadata(metadataPath);
        if (expectedFeatures is not null && !expectedFeatures.SequenceEqual(metadata.Features, StringComparer.Ordinal))
            throw new ModelLoadException(
                $"Model '{metadata.Name}' {metadata.Version} expects features [{Describe(metadata.Features)}] but this engine computes [{Describe(expectedFeatures)}]; {FirstDifference(metadata.Features, expectedFeatures)}. " +
                "Retrain the model against the current FeatureNames ('./engine train') or deploy the engine version it was trained for.");

        // Read once: the bytes hashed are the bytes loaded (a file replaced between two reads would pass under the other's hash).
        byte[] model;
        try
        {
            model = File.ReadAllBytes(modelPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Model file '{modelPath}' cannot be read ({e.Message}). Check its permissions, or copy it again.", e);
        }
        InferenceSession session;
        try
        {
            using var options = SingleThreadedOptions();
            session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            // The file model.json names, whole: the runtime cannot run it (an opset or operator newer than this ONNX Runtime's),
            // and copying it again would not help (before 2026-12-07 it was called corrupt either way; a review).
            if (metadata.OnnxSha256 is { } named && string.Equals(ModelMetadata.Sha256Of(model), named, StringComparison.OrdinalIgnoreCase))
                throw new ModelLoadException(
                    $"Model file '{modelPath}' is the one '{metadataPath}' names, but this engine's ONNX Runtime cannot run it ({e.Message.Trim()}): it needs an " +
                    "opset or operator this runtime does not have. Export it with this engine version's './engine train', or deploy an engine whose ONNX Runtime runs it.", e);
            throw new ModelLoadException(
                $"Model file '{modelPath}' is not a valid ONNX model ({e.Message.Trim()}). It is corrupt or truncated: copy it again or retrain with './engine train'" +
                (metadata.OnnxSha256 is null ? "." : $"; it is not the file '{metadataPath}' names either, so a running node keeps the version serving and tries the pair again once both are in place."), e)
            { FilesOfDifferentRuns = metadata.OnnxSha256 is not null };
        }

        try
        {
            // After opening: a corrupt or truncated file is named as such; a valid one from another run, as not this json's.
            if (metadata.OnnxSha256 is { } expected && ModelMetadata.Sha256Of(model) is var actual
                && !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new ModelLoadException(
                    $"Model file '{modelPath}' is not the one '{metadataPath}' was written with (sha256 {actual[..12]}..., model.json names {expected[..Math.Min(12, expected.Length)]}...). " +
                    "Deploy both files of one './engine train' run; while one of them is still being replaced, a running node keeps the version serving and tries the pair again once both are in place.")
                { FilesOfDifferentRuns = true };
            return (session, metadata, CheckSchema(session, metadata, modelPath));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static ModelMetadata ReadMetadata(string path)
    {
        ModelMetadata metadata;
        try
        {
            metadata = ModelMetadata.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"Metadata file '{path}' is not valid model metadata JSON ({e.Message}). Restore the model.json written by './engine train'.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Metadata file '{path}' cannot be read ({e.Message}). Check its permissions, or restore the model.json written by './engine train'.", e);
        }
        // JSON's "required" only asks for the property: a null in any of these would fail later, on a decision, or stamp none.
        var missing = new (string Field, bool Missing)[]
        {
            ("name", string.IsNullOrEmpty(metadata.Name)), ("version", string.IsNullOrEmpty(metadata.Version)),
            ("features", metadata.Features is null || metadata.Features.Any(string.IsNullOrEmpty)),
            ("input_name", string.IsNullOrEmpty(metadata.InputName)), ("output_name", string.IsNullOrEmpty(metadata.OutputName)),
            ("thresholds", metadata.Thresholds is null), ("metrics", metadata.Metrics is null),
        }.Where(f => f.Missing).Select(f => f.Field).ToList();
        if (missing.Count > 0)
            throw new ModelLoadException($"Metadata file '{path}' has no value for {string.Join(", ", missing)} (null or empty). Restore the model.json written by './engine train'.");
        if (metadata.Format != ModelMetadata.CurrentFormat)
            throw new ModelLoadException($"Metadata file '{path}' has format {metadata.Format}; this engine reads format {ModelMetadata.CurrentFormat}. Retrain with this engine's './engine train'.");
        if (metadata.Features!.Count == 0) // not null: checked above
            throw new ModelLoadException($"Metadata file '{path}' lists no features. Restore the model.json written by './engine train'.");
        // Without it nothing ties the two files together: the feature list is the engine's own, so an .onnx of another run
        // (a half-finished deploy, a hand-copied file) passed every other check under this file's version and thresholds.
        if (string.IsNullOrEmpty(metadata.OnnxSha256))
            throw new ModelLoadException($"Metadata file '{path}' does not name its model.onnx (onnx_sha256), so a model of another run could serve under its version. " +
                                         "Deploy the model.json written by this engine's './engine train' with its model.onnx.");
        // Probabilities: a percentage (70 for 0.7) or a re-arm level above the alert (an alert, a re-arm and another alert on every check) was applied as is.
        var thresholds = metadata.Thresholds!; // not null: checked above
        var outOfRange = thresholds.Where(t => !double.IsFinite(t.Value) || t.Value is < 0 or > 1).Select(t => $"{t.Key} = {t.Value}").ToList();
        if (outOfRange.Count > 0)
            throw new ModelLoadException($"Metadata file '{path}' has thresholds outside 0..1 ({string.Join(", ", outOfRange)}): they are probabilities. Restore the model.json written by './engine train'.");
        if (thresholds.TryGetValue("rearm", out var rearm) && rearm > thresholds.GetValueOrDefault("alert", Decisions.ChurnAlertPolicy.Default.Threshold))
            throw new ModelLoadException($"Metadata file '{path}' re-arms churn alerts at {rearm}, above the alert threshold: a user between the two would be alerted on every check. Set thresholds.rearm below thresholds.alert.");
        if (metadata.Baseline is { } b && b.Count != metadata.Features.Count)
            throw new ModelLoadException($"Metadata file '{path}' has {b.Count} baseline values for {metadata.Features.Count} features. Restore the model.json written by './engine train'.");
        return metadata;
    }

    private static int CheckSchema(InferenceSession session, ModelMetadata metadata, string modelPath)
    {
        if (!session.InputMetadata.TryGetValue(metadata.InputName, out var input))
            throw new ModelLoadException(
                $"Model '{modelPath}' has no input '{metadata.InputName}' (it has: {string.Join(", ", session.InputMetadata.Keys)}). The ONNX file and model.json do not belong together; redeploy both from one './engine train' run.");
        if (session.InputMetadata.Count != 1)
            throw new ModelLoadException(
                $"Model '{modelPath}' asks for {session.InputMetadata.Count} inputs ({string.Join(", ", session.InputMetadata.Keys)}); the engine feeds one feature vector. Export it from a data view that holds only the features.");
        if (input.ElementType != typeof(float) || input.Dimensions.Length != 2)
            throw new ModelLoadException(
                $"Model '{modelPath}' input '{metadata.InputName}' is {input.ElementType.Name}[{string.Join(",", input.Dimensions)}]; the engine feeds float[batch, features]. Re-export it with './engine train'.");
        // A fixed batch (e.g. 1) scores single rows and fails every batch: the explanations and the bidder's candidates.
        if (input.Dimensions[0] > 0)
            throw new ModelLoadException(
                $"Model '{modelPath}' input '{metadata.InputName}' has a fixed batch of {input.Dimensions[0]} rows; the engine scores batches. Export it with a symbolic batch dimension (as './engine train' does).");
        var width = input.Dimensions[1];
        if (width != metadata.Features.Count)
            throw new ModelLoadException(
                $"Model '{modelPath}' takes {width} features but model.json lists {metadata.Features.Count}. The ONNX file and model.json do not belong together; redeploy both from one './engine train' run.");
        if (!session.OutputMetadata.TryGetValue(metadata.OutputName, out var output))
            throw new ModelLoadException(
                $"Model '{modelPath}' has no output '{metadata.OutputName}' (it has: {string.Join(", ", session.OutputMetadata.Keys)}). Fix output_name in model.json or re-export with './engine train'.");
        if (output.ElementType != typeof(float))
            throw new ModelLoadException($"Model '{modelPath}' output '{metadata.OutputName}' is {output.ElementType.Name}, not float. Re-export it with './engine train'.");
        // One probability per row: float[batch] or float[batch, 1], the batch as the input's.
        if (output.Dimensions.Length is < 1 or > 2 || output.Dimensions[0] > 0 || (output.Dimensions.Length == 2 && output.Dimensions[1] != 1))
            throw new ModelLoadException(
                $"Model '{modelPath}' output '{metadata.OutputName}' is float[{string.Join(",", output.Dimensions)}]; the engine reads one probability per row (float[batch] or float[batch,1]). " +
                "Request only the positive class's probability when exporting (as './engine train' does).");
        return width;
    }

    private static SessionOptions SingleThreadedOptions() => new()
    {
        // One thread per call: the engine scales by running many actors, not by splitting a 100-tree model.
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private static string FirstDifference(IReadOnlyList<string> model, IReadOnlyList<string> engine)
    {
        var i = 0;
        while (i < model.Count && i < engine.Count && model[i] == engine[i]) i++;
        return i < model.Count && i < engine.Count
            ? $"first difference at position {i}: model '{model[i]}', engine '{engine[i]}'"
            : $"the model has {model.Count} features, the engine {engine.Count}";
    }

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count <= 6 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(3))}, ... {names.Count} in all";
}
