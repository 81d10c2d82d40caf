namespace Engine.Models.Scoring;

/// <summary>
/// A call reached a <see cref="Scorer"/> after a hot reload retired it. A caller that read
/// <see cref="ModelRegistry.Current"/> for several calls (a score, then its explanation) decides again on the new version.
/// </summary>
public sealed class ModelRetiredException(string version)
    : ObjectDisposedException(nameof(Scorer), $"Model {version} was retired; score through the ModelRegistry.")
{
    public string Version { get; } = version;
}
