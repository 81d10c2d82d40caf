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
}
