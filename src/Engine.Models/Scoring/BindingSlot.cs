using Microsoft.ML.OnnxRuntime;

namespace Engine.Models.Scoring;

/// <summary>
/// One caller's pre-allocated, pinned input and output buffers bound once to the session (IOBinding):
/// a single-row score copies the features in, runs, and reads one float, without allocating.
/// </summary>
internal sealed class BindingSlot : IDisposable
{
    private readonly OrtValue _inputValue;
    private readonly OrtValue _outputValue;
    private readonly OrtIoBinding _binding;
    private int _busy;

    public BindingSlot(InferenceSession session, ModelMetadata metadata, int width)
    {
        Input = new float[width];
        Output = new float[1];
        _inputValue = OrtValue.CreateTensorValueFromMemory(Input, [1, width]);
        _outputValue = OrtValue.CreateTensorValueFromMemory(Output, OutputShape(session, metadata));
        _binding = session.CreateIoBinding();
        _binding.BindInput(metadata.InputName, _inputValue);
        _binding.BindOutput(metadata.OutputName, _outputValue);
    }

    public float[] Input { get; }
    public float[] Output { get; }
    public OrtIoBinding Binding => _binding;

    public bool TryAcquire() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;
    public void Release() => Volatile.Write(ref _busy, 0);

    /// <summary>ML.NET exports the probability as [batch] or [batch, 1] depending on the trainer; bind what the graph declares.</summary>
    internal static long[] OutputShape(InferenceSession session, ModelMetadata metadata, long rows = 1) =>
        session.OutputMetadata[metadata.OutputName].Dimensions.Length == 1 ? [rows] : [rows, 1];

    public void Dispose()
    {
        _binding.Dispose();
        _inputValue.Dispose();
        _outputValue.Dispose();
    }
}
