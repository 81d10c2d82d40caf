using Microsoft.ML.OnnxRuntime;

namespace Engine.Models.Scoring;

/// <summary>
/// One loaded model version on ONNX Runtime. Thread-safe: each concurrent caller takes one of a fixed set of
/// pre-bound slots, so single rows and batches of up to 128 rows do not allocate. <see cref="Retire"/> stops new calls
/// and frees the native session once the calls in flight are done, which is what lets <see cref="ModelRegistry"/> swap
/// versions under load.
/// </summary>
public sealed class Scorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly BindingSlot[] _slots;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private int _inFlight;
    private int _retired;
    private int _disposed;

    private Scorer(InferenceSession session, ModelMetadata metadata, int width)
    {
        _session = session;
        Metadata = metadata;
        Width = width;
        _inputNames = [metadata.InputName];
        _outputNames = [metadata.OutputName];
        _slots = Enumerable.Range(0, Math.Max(4, Environment.ProcessorCount * 2))
            .Select(_ => new BindingSlot(session, metadata, width)).ToArray();
    }

    public ModelMetadata Metadata { get; }
    public string Version => Metadata.Version;
    public int Width { get; }

    /// <summary>Loads <paramref name="modelPath"/> and the <c>.json</c> beside it; throws <see cref="ModelLoadException"/> with what to do.</summary>
    /// <param name="expectedFeatures">The feature order the caller will pass; a model trained on another order is refused.</param>
    public static Scorer Load(string modelPath, IReadOnlyList<string>? expectedFeatures = null)
    {
        var (session, metadata, width) = ModelLoader.Open(modelPath, expectedFeatures);
        var scorer = new Scorer(session, metadata, width);
        try
        {
            scorer.TryOut(modelPath);
            return scorer;
        }
        catch
        {
            scorer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the model once on its baseline (zeros without one), as a row and as a batch of two, before it may serve: the
    /// graph's declared shapes can pass every check and the model still fail when run, or answer something other than a
    /// probability. Before 2026-12-07 such a replacement was swapped in and every decision that used it threw.
    /// </summary>
    private void TryOut(string modelPath)
    {
        var row = new float[Width];
        if (Metadata.Baseline is { } baseline && baseline.Count == Width) for (var i = 0; i < Width; i++) row[i] = baseline[i];
        float single;
        var pair = new float[2];
        try
        {
            single = RunOne(row);
            ScoreBatch([.. row, .. row], 2, pair);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"Model '{modelPath}' loads but fails when run ({e.Message.Trim()}). Re-export it with './engine train'.", e);
        }
        foreach (var p in (ReadOnlySpan<float>)[single, .. pair])
            if (!float.IsFinite(p) || p is < 0 or > 1)
                throw new ModelLoadException(
                    $"Model '{modelPath}' answers {p} for its baseline row, not a probability. Export the positive class's calibrated probability (as './engine train' does).");
    }

    /// <summary>Scores one feature vector (in <see cref="ModelMetadata.Features"/> order).</summary>
    public ScoreResult Score(ReadOnlySpan<float> features) =>
        ScoringInstruments.TryScoreTimed(this, features, out var result) ? result : throw new ModelRetiredException(Version);

    /// <summary>Like <see cref="Score"/>, but returns false instead of throwing when this version has been retired.</summary>
    public bool TryScore(ReadOnlySpan<float> features, out ScoreResult result)
    {
        if (features.Length != Width)
            throw new ArgumentException($"Model {Metadata.Name} {Version} takes {Width} features, got {features.Length}.", nameof(features));
        if (!Enter())
        {
            result = default;
            return false;
        }
        try
        {
            result = new ScoreResult(RunOne(features), Version);
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Scores <c>rows.Length / Width</c> vectors laid out row after row into <paramref name="probabilities"/> in one ORT call.</summary>
    public void ScoreBatch(float[] rows, float[] probabilities)
    {
        if (rows.Length % Width != 0)
            throw new ArgumentException($"Batch of {rows.Length} floats is not whole rows of {Width}.");
        ScoreBatch(rows, rows.Length / Width, probabilities);
    }

    /// <summary>
    /// Scores the first <paramref name="count"/> rows of <paramref name="rows"/> into <paramref name="probabilities"/>: lets a
    /// caller reuse buffers sized for its largest batch instead of allocating exact ones per call.
    /// </summary>
    public void ScoreBatch(float[] rows, int count, float[] probabilities)
    {
        if (count < 0 || rows.Length < count * Width || probabilities.Length < count)
            throw new ArgumentException($"Batch of {count} rows of {Width} does not fit {rows.Length} floats in or {probabilities.Length} out.");
        if (!Enter()) throw new ModelRetiredException(Version);
        try
        {
            if (count is > 0 and <= BindingSlot.MaxRows && TryRunBound(rows, count, probabilities)) return;
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, rows.AsMemory(0, count * Width), [count, Width]);
            using var output = OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, probabilities.AsMemory(0, count), BindingSlot.OutputShape(_session, Metadata, count));
            _session.Run(_runOptions, _inputNames, [input], _outputNames, [output]);
        }
        finally
        {
            Exit();
        }
    }

    // A free pre-bound slot runs it without allocating; with every slot busy, the caller takes another path.
    private bool TryRunBound(ReadOnlySpan<float> rows, int count, Span<float> probabilities)
    {
        var start = (Environment.CurrentManagedThreadId & int.MaxValue) % _slots.Length;
        for (var i = 0; i < _slots.Length; i++)
        {
            var slot = _slots[(start + i) % _slots.Length];
            if (!slot.TryAcquire()) continue;
            try
            {
                slot.Run(_runOptions, rows, count, probabilities);
                return true;
            }
            finally
            {
                slot.Release();
            }
        }
        return false;
    }

    private float RunOne(ReadOnlySpan<float> features)
    {
        Span<float> probability = stackalloc float[1];
        if (TryRunBound(features, 1, probability)) return probability[0];
        // More concurrent callers than slots: a one-off slot (allocates) rather than a wait.
        using var spare = new BindingSlot(_session, Metadata, Width, maxRows: 1);
        spare.Run(_runOptions, features, 1, probability);
        return probability[0];
    }

    private bool Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _retired) == 0) return true;
        Exit();
        return false;
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _retired) == 1) ReleaseNative();
    }

    /// <summary>Refuses new calls; the native session is freed when the last call in flight returns.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 1) return;
        if (Volatile.Read(ref _inFlight) == 0) ReleaseNative();
    }

    public void Dispose() => Retire();

    private void ReleaseNative()
    {
        // Both Retire and the last Exit may get here; only one frees.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        foreach (var slot in _slots) slot.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
