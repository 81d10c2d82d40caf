using System.Diagnostics;
using Engine.Host.Node;

namespace Engine.Host.Tests.Node;

public sealed class ProcessCpuShareTests
{
    /// <summary>
    /// The share is the process's CPU time over the wall time since the window's oldest sample, per core. Checked against
    /// the process's own CPU clock over the same interval, not against a full core: on a shared machine a busy thread may
    /// get less than one (a run at load ~7 got 93% of a core, and a fixed floor failed).
    /// </summary>
    [Fact]
    public void A_thread_kept_busy_shows_as_the_cpu_it_got_over_the_window()
    {
        var share = new ProcessCpuShare(TimeSpan.FromSeconds(1));
        var (cpuBefore, wall) = (Environment.CpuUsage.TotalTime, Stopwatch.StartNew());
        var last = share.Sample();
        Assert.Equal(0, last); // one sample: no interval yet
        while (wall.Elapsed < TimeSpan.FromMilliseconds(400))
        {
            for (var spin = Stopwatch.StartNew(); spin.Elapsed < TimeSpan.FromMilliseconds(50);) Thread.SpinWait(100);
            last = share.Sample();
        }
        var got = (Environment.CpuUsage.TotalTime - cpuBefore).Ticks / (double)wall.Elapsed.Ticks / Environment.ProcessorCount;
        Assert.True(got > 0.1 / Environment.ProcessorCount, $"the spinning thread got {got:P0} of the machine"); // it did spin
        Assert.InRange(last, got * 0.75, got * 1.25 + 0.02);
    }
}
