namespace Engine.Models.Scoring;

/// <summary>
/// Holds the serving version of one model and swaps it atomically when a new version loads; a replacement that
/// fails to load leaves the current one serving and reports why. Callers never see a failed score during a swap:
/// a call that meets a just-retired version retries on the new one.
/// </summary>
public sealed class ModelRegistry : IDisposable
{
    private readonly IReadOnlyList<string>? _expectedFeatures;
    private Scorer _current;
    private int _disposed;

    public ModelRegistry(string modelPath, IReadOnlyList<string>? expectedFeatures = null)
    {
        _expectedFeatures = expectedFeatures;
        _current = Scorer.Load(modelPath, expectedFeatures);
    }

    public Scorer Current => Volatile.Read(ref _current);
    public string Version => Current.Version;

    /// <summary>Raised after a successful swap with (old version, new version).</summary>
    public event Action<string, string>? Swapped;

    public ScoreResult Score(ReadOnlySpan<float> features)
    {
        while (true)
        {
            if (ScoringInstruments.TryScoreTimed(Current, features, out var result)) return result;
            // Retired under us: either a swap (the next read sees the new version) or the registry is closing.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        }
    }

    /// <summary>Loads <paramref name="modelPath"/>; on success it becomes the serving version and the old one is retired.</summary>
    public ReloadResult TryReload(string modelPath)
    {
        Scorer next;
        try
        {
            next = Scorer.Load(modelPath, _expectedFeatures);
        }
        catch (ModelLoadException e)
        {
            return new ReloadResult(false, Current.Version, e.Message, e.FilesOfDifferentRuns);
        }
        // Anything else a new file can make loading throw (ONNX Runtime refusing to bind it, a read error) is a refusal too:
        // the serving version stays, and the watcher goes on polling.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ReloadResult(false, Current.Version, $"{e.GetType().Name}: {e.Message}");
        }
        var old = Interlocked.Exchange(ref _current, next);
        old.Retire();
        Swapped?.Invoke(old.Version, next.Version);
        return new ReloadResult(true, next.Version, null);
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        Current.Retire();
    }
}

/// <summary>Outcome of <see cref="ModelRegistry.TryReload"/>: the version now serving, and the error when the new one was refused.</summary>
/// <param name="FilesOfDifferentRuns">Refused because model.onnx is not the file model.json names: one of the pair may still be on its way.</param>
public sealed record ReloadResult(bool Loaded, string ServingVersion, string? Error, bool FilesOfDifferentRuns = false);
