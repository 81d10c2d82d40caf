namespace Engine.Models.Scoring;

/// <summary>Why a model could not be loaded, and what to do about it; the message is meant for an operator.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string message) : base(message) { }
    public ModelLoadException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// Two files that belong together are of different runs (a model.onnx and its model.json, a re-ranker and its sessions):
    /// possibly a deploy replacing them one after the other, which passes once both are in place.
    /// </summary>
    public bool FilesOfDifferentRuns { get; init; }
}
