namespace Engine.Host.Configuration;

/// <summary>Section <c>Models</c>: where the ONNX models and their metadata live.</summary>
public sealed class ModelOptions
{
    public const string Section = "Models";

    /// <summary>
    /// Folder holding churn/, bid/ and recs/ (the repository's models/ or <c>./engine train</c> output). Empty: the first
    /// <c>models/</c> found from the working directory or the binaries upwards.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>How often the churn and bid model files are checked for a new version (hot reload); 0 turns reloading off.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 3600, ErrorMessage = "Models:ReloadSeconds must be between 0 (off) and 3600.")]
    public int ReloadSeconds { get; set; } = 10;
}
