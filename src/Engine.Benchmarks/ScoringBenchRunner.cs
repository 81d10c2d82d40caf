using System.Diagnostics;
using HdrHistogram;

namespace Engine.Benchmarks;

/// <summary>Per-call latency (HdrHistogram, nanoseconds) and bytes allocated per call of one scoring function.</summary>
internal static class ScoringBenchRunner
{
    /// <param name="CpuUsPerCall">Processor time of the whole process per call: on a shared machine, wall-clock percentiles
    /// include time the thread waited for a core; this does not.</param>
    public sealed record Latency(double P50Us, double P99Us, double P999Us, double BytesPerCall, double CpuUsPerCall);

    public static Latency Measure(int calls, int warmup, Action<int> call)
    {
        for (var i = 0; i < warmup; i++) call(i);
        var histogram = new LongHistogram(TimeSpan.FromSeconds(1).Ticks * 100, 3);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            call(i);
            histogram.RecordValue((Stopwatch.GetTimestamp() - start) * 1_000_000_000L / Stopwatch.Frequency);
        }
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)calls;
        var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / calls;
        return new Latency(Us(histogram.GetValueAtPercentile(50)), Us(histogram.GetValueAtPercentile(99)), Us(histogram.GetValueAtPercentile(99.9)), Math.Round(bytes, 1), Math.Round(cpuUs, 1));

        static double Us(long ns) => Math.Round(ns / 1000.0, 2);
    }

    /// <summary>Rows per second scoring <paramref name="rowsPerBatch"/> rows per call for about <paramref name="duration"/>.</summary>
    public static double Throughput(int rowsPerBatch, TimeSpan duration, Action batch)
    {
        batch();
        var watch = Stopwatch.StartNew();
        long rows = 0;
        while (watch.Elapsed < duration)
        {
            batch();
            rows += rowsPerBatch;
        }
        return Math.Round(rows / watch.Elapsed.TotalSeconds);
    }
}
