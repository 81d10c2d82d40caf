using System.Diagnostics;
using Engine.Host.Node;

namespace Engine.Host.Tests.Node;

public sealed class Gen0PacerTests
{
    private static readonly GcPacingSettings EightMb = GcPacingSettings.Default with { Gen0Bytes = 8L << 20 };

    /// <summary>A process whose heap size and gen0 count the test sets, and which counts the collections asked for.</summary>
    private sealed class FakeRuntime
    {
        public long Heap;
        public int Gen0;
        public int Collections;
        public TimeSpan RecentLatency = TimeSpan.FromMilliseconds(10);
        public double CpuShare = 0.5;

        public Gen0Pacer Pacer(GcPacingSettings settings) => new(settings, () => RecentLatency, () => CpuShare, () => Heap, () => Gen0, () =>
        {
            Collections++;
            Gen0++;
        });
    }

    [Fact]
    public void Collects_once_the_budget_is_allocated_and_counts_again_from_there()
    {
        var runtime = new FakeRuntime();
        var pacer = runtime.Pacer(EightMb);

        runtime.Heap = EightMb.Gen0Bytes - 1;
        Assert.False(pacer.Tick());
        runtime.Heap = EightMb.Gen0Bytes;
        Assert.True(pacer.Tick());
        Assert.False(pacer.Tick()); // nothing allocated since
        runtime.Heap += EightMb.Gen0Bytes;
        Assert.True(pacer.Tick());

        Assert.Equal(2, runtime.Collections);
        Assert.Equal(2, pacer.PacedCollections);
    }

    [Fact]
    public void A_collection_the_runtime_ran_itself_restarts_the_count()
    {
        var runtime = new FakeRuntime();
        var pacer = runtime.Pacer(EightMb);

        runtime.Heap = EightMb.Gen0Bytes / 2;
        Assert.False(pacer.Tick());
        runtime.Gen0++; // the runtime collected: the pacer counts from the look that sees it
        runtime.Heap = EightMb.Gen0Bytes + 1;
        Assert.False(pacer.Tick());
        runtime.Heap = 2 * EightMb.Gen0Bytes;
        Assert.False(pacer.Tick());
        runtime.Heap = 2 * EightMb.Gen0Bytes + 1;
        Assert.True(pacer.Tick());
        Assert.Equal(1, runtime.Collections);
    }

    [Fact]
    public void A_heap_that_shrank_without_a_gen0_collection_restarts_the_count()
    {
        var runtime = new FakeRuntime { Heap = 100L << 20 };
        var pacer = runtime.Pacer(EightMb);

        runtime.Heap = 90L << 20; // a background collection freed old objects
        Assert.False(pacer.Tick());
        runtime.Heap = (90L << 20) + EightMb.Gen0Bytes;
        Assert.True(pacer.Tick());
    }

    [Fact]
    public void Leaves_collections_to_the_runtime_while_the_node_is_behind()
    {
        var runtime = new FakeRuntime { RecentLatency = TimeSpan.FromSeconds(2) };
        var pacer = runtime.Pacer(EightMb);

        runtime.Heap = 10 * EightMb.Gen0Bytes;
        Assert.False(pacer.Tick());
        runtime.RecentLatency = TimeSpan.FromMilliseconds(20); // caught up: the allocation since the last collection is due at once
        Assert.True(pacer.Tick());
        Assert.Equal(1, runtime.Collections);
    }

    [Fact]
    public void Leaves_collections_to_the_runtime_while_the_process_keeps_the_cores_busy()
    {
        var runtime = new FakeRuntime { CpuShare = 0.95 };
        var pacer = runtime.Pacer(EightMb);

        runtime.Heap = 2 * EightMb.Gen0Bytes;
        Assert.False(pacer.Tick());
        runtime.CpuShare = 0.6;
        Assert.True(pacer.Tick());
    }

    [Fact]
    public void Started_it_runs_real_gen0_collections_and_off_it_runs_none()
    {
        var small = new GcPacingSettings(1 << 20, TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1), MaxCpuShare: 1.01);
        using var off = Gen0Pacer.Start(GcPacingSettings.Off, () => TimeSpan.Zero);
        using var on = Gen0Pacer.Start(small, () => TimeSpan.Zero);
        var gen0Before = GC.CollectionCount(0);

        // Short-lived garbage, a few MB at a time, until the pacer has collected (or 10 s).
        var sink = 0L;
        for (var clock = Stopwatch.StartNew(); on.PacedCollections == 0 && clock.Elapsed < TimeSpan.FromSeconds(10);)
        {
            for (var i = 0; i < 4_000; i++) sink += new byte[1_000].Length;
            Thread.Sleep(1);
        }

        Assert.True(sink > 0);
        Assert.True(on.PacedCollections > 0, "the pacer ran no collection in 10 s of allocation");
        Assert.True(GC.CollectionCount(0) - gen0Before >= on.PacedCollections);
        Assert.Equal(0, off.PacedCollections);
    }
}
