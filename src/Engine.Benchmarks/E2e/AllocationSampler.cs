using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// Which types the process allocates, sampled by the runtime's GCAllocationTick event (one per ~100 KB allocated, naming
/// the type whose allocation crossed the mark), summed by type between <see cref="Start"/> and <see cref="Stop"/>.
/// Off unless <c>ENGINE_BENCH_ALLOC_TYPES=1</c>: the listener costs a little on every tick.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int AllocationTickId = 10;

    private readonly ConcurrentDictionary<string, (long Bytes, long Samples)> _byType = new();
    private volatile bool _recording;

    /// <summary>A sampler when <c>ENGINE_BENCH_ALLOC_TYPES=1</c>, else null.</summary>
    public static AllocationSampler? FromEnvironment() =>
        Environment.GetEnvironmentVariable("ENGINE_BENCH_ALLOC_TYPES") == "1" ? new AllocationSampler() : null;

    public void Start()
    {
        _byType.Clear();
        _recording = true;
    }

    public void Stop() => _recording = false;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == RuntimeSource) EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_recording || e.EventId != AllocationTickId || e.Payload is null) return;
        var type = PayloadString(e, "TypeName") ?? "?";
        // AllocationAmount64 (V2+) is the bytes since the last tick: the tick's type stands for all of them.
        var amount = e.PayloadNames!.IndexOf("AllocationAmount64") is var i and >= 0 ? Convert.ToInt64(e.Payload[i], CultureInfo.InvariantCulture) : 100_000;
        _byType.AddOrUpdate(type, (amount, 1), (_, v) => (v.Bytes + amount, v.Samples + 1));
    }

    private static string? PayloadString(EventWrittenEventArgs e, string name) =>
        e.PayloadNames!.IndexOf(name) is var i and >= 0 ? e.Payload![i] as string : null;

    /// <summary>The top <paramref name="count"/> types by sampled bytes, per consumed event, as text (also written to <paramref name="path"/>).</summary>
    public string Report(long events, int count, string path)
    {
        var total = _byType.Values.Sum(v => v.Bytes);
        var text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"allocation sample: {total / Math.Max(1, events):N0} B/event over {events:N0} events");
        text.AppendLine("   B/event  share  samples  type");
        foreach (var (type, (bytes, samples)) in _byType.OrderByDescending(kv => kv.Value.Bytes).Take(count))
            text.AppendLine(CultureInfo.InvariantCulture, $"{bytes / (double)Math.Max(1, events),10:N0} {100.0 * bytes / Math.Max(1, total),5:F1}% {samples,8:N0}  {type}");
        File.WriteAllText(path, text.ToString());
        return text.ToString();
    }
}
