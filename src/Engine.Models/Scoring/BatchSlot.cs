using Microsoft.ML.OnnxRuntime;

namespace Engine.Models.Scoring;

/// <summary>
/// One caller's pinned buffers for batches of up to <see cref="MaxRows"/> rows, with an IOBinding per row count made on
/// first use: a batch copies its rows in, runs, and copies the probabilities out, without allocating (the re-ranker
/// scores a list's candidates and the explainer a vector's variations this way on every decision).
/// </summary>
internal sealed class BatchSlot : IDisposable
{
    /// <summary>Larger batches take the general path, which allocates per call.</summary>
    public const int MaxRows = 128;

    private readonly InferenceSession _session;
    private readonly ModelMetadata _metadata;
    private readonly int _width;
    private readonly float[] _input;
    private readonly float[] _output = GC.AllocateArray<float>(MaxRows, pinned: true);
    private readonly Bound?[] _byRows = new Bound?[MaxRows + 1];
    private int _busy;

    public BatchSlot(InferenceSession session, ModelMetadata metadata, int width)
    {
        (_session, _metadata, _width) = (session, metadata, width);
        _input = GC.AllocateArray<float>(MaxRows * width, pinned: true);
    }

    public bool TryAcquire() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;
    public void Release() => Volatile.Write(ref _busy, 0);

    /// <summary>Scores the first <paramref name="count"/> rows (1 to <see cref="MaxRows"/>) of <paramref name="rows"/>.</summary>
    public void Run(RunOptions options, ReadOnlySpan<float> rows, int count, Span<float> probabilities)
    {
        rows[..(count * _width)].CopyTo(_input);
        _session.RunWithBinding(options, (_byRows[count] ??= Bind(count)).Binding);
        _output.AsSpan(0, count).CopyTo(probabilities);
    }

    private Bound Bind(int rows)
    {
        var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, rows * _width), [rows, _width]);
        var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, rows), BindingSlot.OutputShape(_session, _metadata, rows));
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
