using Engine.Models.Scoring;

namespace Engine.Host.Node;

/// <summary>
/// Hot reload: polls each model file and its <c>model.json</c> and, when either changed on disk, loads the new version into
/// its registry without a restart (a new model.json alone, e.g. new thresholds or version, counts too; and an .onnx refused
/// because its .json had not arrived yet is tried again when it does). A file that does not load (corrupt, truncated, another feature schema) is refused: the old version keeps
/// serving and the error is reported, once per change of the file. Deploy a model by writing it beside the old one and
/// renaming it over (atomic), so a poll never reads half a file. A change is a change of the files' bytes (SHA-256, read
/// through any symbolic link): a Kubernetes ConfigMap swaps the folder its links point to and leaves the links as they
/// were, and a copy that keeps the times (<c>cp -p</c>, <c>rsync -a</c>) can keep the size too; before 2026-12-06 the
/// watcher compared the links' own write times and lengths, and never saw either deployment. Since 2026-12-07 (a review):
/// a .onnx that is not the file its .json names (the other one not in place yet, or still being copied) waits a grace of
/// two polls before it counts as refused, rather than paging for a deploy done at the next poll; and refused files are
/// tried again every <see cref="RetryRefused"/> while they stay as they are, since a load can fail for a passing cause
/// (memory, a read error) and copying the same bytes again changes nothing the watcher can see.
/// </summary>
public sealed class ModelWatcher : IAsyncDisposable
{
    private readonly IReadOnlyList<(string Name, string Path, ModelRegistry Registry)> _models;
    private readonly Action<string> _report;
    private readonly Dictionary<string, FilesStamp> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Refused> _refused = new(StringComparer.Ordinal);
    private readonly Func<ModelRegistry, string, ReloadResult> _reload;
    private readonly TimeSpan _pairGrace, _retryRefused;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>How often files that were refused, and have not changed since, are tried again.</summary>
    public static readonly TimeSpan RetryRefused = TimeSpan.FromMinutes(5);

    /// <summary>The files as last tried and refused: when to try them again, and whether the refusal waits for the pair's other file.</summary>
    private readonly record struct Refused(DateTime RetryAtUtc, bool WaitingForPair);

    /// <param name="report">Where outcomes go (a line each: the model, the version serving, the error if refused).</param>
    /// <param name="loadedAt">The files as they were before the registries loaded them (<see cref="Look"/>): a model deployed
    /// after that (while the node was starting) is loaded at the first check. Without it, the files as they are now.</param>
    /// <param name="pairGrace">How long a .onnx that is not its .json's file waits for the other (default two polls).</param>
    /// <param name="retryRefused">How often refused files are tried again while unchanged (default <see cref="RetryRefused"/>).</param>
    /// <param name="reload">How a model is loaded (tests: a load failing for a passing cause); default <see cref="ModelRegistry.TryReload"/>.</param>
    public ModelWatcher(IReadOnlyList<(string Name, string Path, ModelRegistry Registry)> models, TimeSpan interval, Action<string> report,
        FilesSeen? loadedAt = null, TimeSpan? pairGrace = null, TimeSpan? retryRefused = null, Func<ModelRegistry, string, ReloadResult>? reload = null)
    {
        (_models, _report) = (models, report);
        (_pairGrace, _retryRefused) = (pairGrace ?? 2 * interval, retryRefused ?? RetryRefused);
        _reload = reload ?? ((registry, path) => registry.TryReload(path));
        foreach (var (name, path, _) in models)
        {
            _seen[path] = loadedAt?.Stamps.TryGetValue(path, out var stamp) == true ? stamp : Stamp(path);
            ScoringInstruments.DeclareReloads(name);
        }
        _loop = Task.Run(() => PollAsync(interval));
    }

    /// <summary>The model files (and their model.json) as they are now: look before loading them, watch from there.</summary>
    public static FilesSeen Look(IEnumerable<string> modelPaths) => new(modelPaths.ToDictionary(p => p, Stamp, StringComparer.Ordinal));

    /// <summary>What <see cref="Look"/> saw of each model file.</summary>
    public sealed class FilesSeen(Dictionary<string, FilesStamp> stamps)
    {
        internal IReadOnlyDictionary<string, FilesStamp> Stamps => stamps;
    }

    /// <summary>A model file's and its model.json's contents (SHA-256; null when missing, the error when unreadable): either changing is a new version.</summary>
    public readonly record struct FilesStamp(string? Model, string? Metadata);

    public long Reloads { get; private set; }
    public long Refusals { get; private set; }

    private async Task PollAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) CheckOnce();
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Reloads every model whose file changed since the last look.</summary>
    public void CheckOnce()
    {
        foreach (var (name, path, registry) in _models)
        {
            try
            {
                Check(name, path, registry);
            }
            catch (Exception e) // one model's failure (its files unreadable) must not end the polling of every model
            {
                _report($"models: checking {name} at {path} failed ({e.GetType().Name}: {e.Message}); the version serving stays, tried again at the next poll");
            }
        }
    }

    private void Check(string name, string path, ModelRegistry registry)
    {
        var (stamp, now) = (Stamp(path), DateTime.UtcNow);
        var again = stamp == _seen[path];
        var refused = _refused.GetValueOrDefault(path);
        if (again && (!_refused.ContainsKey(path) || now < refused.RetryAtUtc)) return;
        _seen[path] = stamp;
        // A refusal, whatever made the load throw, comes back as a result (ModelRegistry.TryReload): the polling goes on. Out of
        // memory is let through there (the registry does not swallow it) and is a refusal here, retried like the others: before
        // 2026-12-08 the files were marked seen first, and were never tried again nor counted as refused (review).
        ReloadResult result;
        try
        {
            result = _reload(registry, path);
        }
        catch (Exception e)
        {
            result = new ReloadResult(false, registry.Version, $"{e.GetType().Name}: {e.Message}");
        }
        if (result.Loaded)
        {
            _refused.Remove(path);
            ScoringInstruments.CountReload(name, loaded: true);
            Reloads++;
            _report($"models: {name} reloaded from {path}, now serving version {result.ServingVersion}");
            return;
        }
        if (result.FilesOfDifferentRuns && !again) // changed files only: unchanged ones were given their grace (a review)
        {
            _refused[path] = new Refused(now + _pairGrace, WaitingForPair: true);
            _report($"models: {name} at {path} waits for its other file (model.onnx and model.json not of one run yet); version {result.ServingVersion} keeps serving");
            return;
        }
        _refused[path] = new Refused(now + _retryRefused, WaitingForPair: false);
        if (again && !refused.WaitingForPair) return; // the same files refused again: reported once, when they came
        ScoringInstruments.CountReload(name, loaded: false);
        Refusals++;
        _report($"models: {name} at {path} was refused, version {result.ServingVersion} keeps serving (tried again every {_retryRefused.TotalMinutes:0.#} min while unchanged): {result.Error}");
    }

    private static FilesStamp Stamp(string path) => new(Hash(path), Hash(Path.ChangeExtension(path, ".json")));

    /// <summary>The file's SHA-256 (a few ms for a model of a few MB, every poll), through any link; null when missing.</summary>
    private static string? Hash(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable now (permissions, a lock): a state of its own, so the load is tried, and reported, once it reads again.
            return "unreadable: " + e.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
