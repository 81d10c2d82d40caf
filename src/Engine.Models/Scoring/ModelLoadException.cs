namespace Engine.Models.Scoring;

/// <summary>Why a model could not be loaded, and what to do about it; the message is meant for an operator.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string message) : base(message) { }
    public ModelLoadException(string message, Exception inner) : base(message, inner) { }
}
