using System.Diagnostics;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// What a phase cost: CPU time of the whole process (engine, bench producer, embedded broker) and of the Garnet child
/// process the bench started; bytes allocated, GC pause time and gen1/gen2 collections of this process. Events/s on a
/// shared machine follows the other work on its cores; CPU per event much less so, which makes it the figure to compare
/// code by.
/// </summary>
internal readonly record struct E2eCost(TimeSpan Cpu, long Allocated, TimeSpan GcPause, int Gen1, int Gen2)
{
    /// <param name="server">A Redis server the bench started in a child process: its CPU counts too.</param>
    public static E2eCost Now(BenchServer? server)
    {
        using var process = Process.GetCurrentProcess();
        return new E2eCost(process.TotalProcessorTime + (server?.Cpu ?? TimeSpan.Zero), GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration(),
            GC.CollectionCount(1), GC.CollectionCount(2));
    }

    public static E2eCost operator -(E2eCost a, E2eCost b) =>
        new(a.Cpu - b.Cpu, a.Allocated - b.Allocated, a.GcPause - b.GcPause, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2);

    public double CpuUsPerEvent(long events) => events == 0 ? 0 : Math.Round(Cpu.TotalMicroseconds / events, 1);
    public double BytesPerEvent(long events) => events == 0 ? 0 : Math.Round((double)Allocated / events);
    /// <summary>GC pauses as a share of the phase's wall-clock time.</summary>
    public double GcPausePercent(double seconds) => seconds <= 0 ? 0 : Math.Round(100 * GcPause.TotalSeconds / seconds, 1);
}
