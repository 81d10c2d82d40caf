using System.Diagnostics;
using Engine.Host.Node;

namespace Engine.Host.Tests.Node;

public sealed class ProcessCpuShareTests
{
    [Fact]
    public void A_thread_kept_busy_shows_as_at_least_half_a_core()
    {
        var share = new ProcessCpuShare(TimeSpan.FromSeconds(1));
        var last = share.Sample();
        Assert.Equal(0, last); // one sample: no interval yet
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromMilliseconds(400);)
        {
            for (var spin = Stopwatch.StartNew(); spin.Elapsed < TimeSpan.FromMilliseconds(50);) Thread.SpinWait(100);
            last = share.Sample();
        }
        Assert.InRange(last, 0.5 / Environment.ProcessorCount, 1.1);
    }
}
