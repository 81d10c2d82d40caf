using System.ComponentModel.DataAnnotations;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Models</c>: where the ONNX models and their metadata live.</summary>
public sealed class ModelOptions
{
    public const string Section = "Models";

    [Required(ErrorMessage = "Models:Directory is missing: point it at the folder holding churn/, ctr/ and recs/ (the repository's models/ folder, or ./engine train output).")]
    public string Directory { get; set; } = "models";

    /// <summary>Poll interval for hot reload of a new model version; 0 disables reloading.</summary>
    [Range(0, 3600)] public int ReloadSeconds { get; set; } = 10;
}
