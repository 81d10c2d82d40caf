namespace Engine.Host.Node;

/// <summary>
/// The process's CPU time over a trailing window, as a share of all the machine's cores (1 = every core busy with this
/// process). Sampled by one caller at a steady pace; not thread-safe.
/// </summary>
internal sealed class ProcessCpuShare(TimeSpan window)
{
    private readonly Queue<(long WallTicks, TimeSpan Cpu)> _samples = new();

    /// <summary>Takes a sample; the share since the oldest sample still within the window (0 until there are two).</summary>
    public double Sample()
    {
        var now = (WallTicks: Environment.TickCount64 * TimeSpan.TicksPerMillisecond, Cpu: Environment.CpuUsage.TotalTime);
        while (_samples.Count > 1 && now.WallTicks - _samples.Peek().WallTicks > window.Ticks) _samples.Dequeue();
        _samples.Enqueue(now);
        var oldest = _samples.Peek();
        var elapsed = now.WallTicks - oldest.WallTicks;
        return elapsed <= 0 ? 0 : (now.Cpu - oldest.Cpu).Ticks / (double)elapsed / Environment.ProcessorCount;
    }
}
