using Microsoft.ML.OnnxRuntime;

namespace Engine.Models.Scoring;

/// <summary>
/// One caller's pinned input and output buffers for up to <see cref="MaxRows"/> rows, with an IOBinding per row count
/// made on first use: a call copies its rows in, runs, and copies the probabilities out, without allocating. Single
/// rows (churn, bid) and small batches (the re-ranker's candidates, an explanation's variations) take this path.
/// </summary>
internal sealed class BindingSlot : IDisposable
{
    /// <summary>Larger batches take the general path, which allocates per call.</summary>
    public const int MaxRows = 128;

    private readonly InferenceSession _session;
    private readonly ModelMetadata _metadata;
    private readonly int _width;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly Bound?[] _byRows;
    private int _busy;

    public BindingSlot(InferenceSession session, ModelMetadata metadata, int width, int maxRows = MaxRows)
    {
        (_session, _metadata, _width) = (session, metadata, width);
        _input = GC.AllocateArray<float>(maxRows * width, pinned: true);
        _output = GC.AllocateArray<float>(maxRows, pinned: true);
        _byRows = new Bound?[maxRows + 1];
    }

    public bool TryAcquire() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;
    public void Release() => Volatile.Write(ref _busy, 0);

    /// <summary>Scores the first <paramref name="count"/> rows (1 to the slot's rows) of <paramref name="rows"/>.</summary>
    public void Run(RunOptions options, ReadOnlySpan<float> rows, int count, Span<float> probabilities)
    {
        rows[..(count * _width)].CopyTo(_input);
        _session.RunWithBinding(options, (_byRows[count] ??= Bind(count)).Binding);
        _output.AsSpan(0, count).CopyTo(probabilities);
    }

    /// <summary>ML.NET exports the probability as [batch] or [batch, 1] depending on the trainer; bind what the graph declares.</summary>
    internal static long[] OutputShape(InferenceSession session, ModelMetadata metadata, long rows) =>
        session.OutputMetadata[metadata.OutputName].Dimensions.Length == 1 ? [rows] : [rows, 1];

    private Bound Bind(int rows)
    {
        var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, rows * _width), [rows, _width]);
        var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, rows), OutputShape(_session, _metadata, rows));
        var binding = _session.CreateIoBinding();
        binding.BindInput(_metadata.InputName, input);
        binding.BindOutput(_metadata.OutputName, output);
        return new Bound(input, output, binding);
    }

    public void Dispose()
    {
        foreach (var bound in _byRows) bound?.Dispose();
    }

    private sealed record Bound(OrtValue Input, OrtValue Output, OrtIoBinding Binding) : IDisposable
    {
        public void Dispose()
        {
            Binding.Dispose();
            Input.Dispose();
            Output.Dispose();
        }
    }
}
