namespace Engine.Host.Node;

/// <summary>
/// How the node paces the runtime's young-generation collections (docs/performance.md, rounds 13 and 14).
/// </summary>
/// <param name="Gen0Bytes">Heap growth since the last gen0 collection after which a paced one runs; 0 turns pacing off.</param>
/// <param name="CheckInterval">How often the pacer looks at the heap.</param>
/// <param name="KeepingUp">Pacing runs only while the node's latest decisions were acknowledged this soon after their events
/// arrived: behind a backlog each event waits far longer than a pause, and the extra collections would only cost throughput.</param>
/// <param name="MaxCpuShare">... and while the process used less than this share of the machine's cores over the last
/// second: near its capacity the node needs the CPU that the extra collections take more than shorter pauses.</param>
public sealed record GcPacingSettings(long Gen0Bytes, TimeSpan CheckInterval, TimeSpan KeepingUp, double MaxCpuShare)
{
    /// <summary>
    /// 2 MB, checked every 50 ms, while decisions come within 100 ms and the process leaves a tenth of the cores idle. A
    /// pause's length follows the events since the last collection (the cards they dirtied, the young objects those
    /// reach), so shorter budgets give shorter pauses for about the same CPU; at 10,000 events/s the 50 ms check sets the
    /// pace below ~3.5 MB (round 14: 2 MB against 8 MB, 10,000/s p99 10.4-12.5 ms, median 10.65, against 11.1-13.9, pauses
    /// p50 ~2.5 ms against ~4.5; 1 MB checked every 20 ms was no better. Round 13: without the CPU gate, 20,000 events/s fell behind).
    /// </summary>
    public static readonly GcPacingSettings Default = new(2L << 20, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), 0.9);

    public static readonly GcPacingSettings Off = Default with { Gen0Bytes = 0 };

    public bool Enabled => Gen0Bytes > 0;
}

/// <summary>
/// Runs a short gen0 collection once the heap has grown by <see cref="GcPacingSettings.Gen0Bytes"/> since the last one,
/// while the node keeps up and leaves some CPU idle. Left alone, the runtime's dynamic adaptation (DATAS) lets gen0 grow to ~100 MB here and
/// collects it every second or two; each such collection copies the state that grew meanwhile (new sessions, items,
/// buckets) and scans the cards of the old state it was written into, and stops every thread for 20-40 ms, which is the
/// 10,000 events/s p99. Its gen0 knobs (<c>GCgen0size</c>, <c>GCgen0MaxBudget</c>) do not apply under DATAS, so the
/// node asks for the collections itself: many pauses of a few milliseconds instead of a few of tens.
/// </summary>
public sealed class Gen0Pacer : IDisposable
{
    private readonly GcPacingSettings _settings;
    private readonly Func<TimeSpan> _recentLatency;
    private readonly Func<double> _cpuShare;
    private readonly Func<long> _heapBytes;
    private readonly Func<int> _gen0Collections;
    private readonly Action _collect;
    private volatile bool _stopped;
    private int _lastGen0;
    private long _heapAtLast;
    private long _paced;

    /// <param name="cpuShare">The process's share of the cores over the last second; read at every look.</param>
    internal Gen0Pacer(GcPacingSettings settings, Func<TimeSpan> recentLatency, Func<double> cpuShare, Func<long> heapBytes, Func<int> gen0Collections, Action collect)
    {
        (_settings, _recentLatency, _cpuShare, _heapBytes, _gen0Collections, _collect) = (settings, recentLatency, cpuShare, heapBytes, gen0Collections, collect);
        _lastGen0 = gen0Collections();
        _heapAtLast = heapBytes();
    }

    /// <summary>Starts pacing on a thread of its own (the thread pool may be saturated exactly when a collection is due).</summary>
    /// <param name="recentLatency">How long the node's latest decisions took from their events (compared with <see cref="GcPacingSettings.KeepingUp"/>).</param>
    public static Gen0Pacer Start(GcPacingSettings settings, Func<TimeSpan> recentLatency)
    {
        // The heap's size grows by what is allocated between collections. Not GetTotalAllocatedBytes: its cheap count stood still
        // for 20 s in a bench run once DATAS had changed the number of heaps, and its precise count suspends every thread.
        var cpu = new ProcessCpuShare(TimeSpan.FromSeconds(1));
        var pacer = new Gen0Pacer(settings, recentLatency, cpu.Sample, () => GC.GetTotalMemory(forceFullCollection: false), () => GC.CollectionCount(0),
            () => GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: false));
        if (settings.Enabled) new Thread(pacer.Run) { IsBackground = true, Name = "gen0-pacer" }.Start();
        return pacer;
    }

    /// <summary>Collections the pacer ran (the runtime's own are not counted).</summary>
    public long PacedCollections => Interlocked.Read(ref _paced);

    /// <summary>
    /// One look: collects when the heap grew by the budget since the last gen0 collection, whoever ran it (a heap that
    /// shrank meanwhile, as a background collection frees, restarts the count).
    /// </summary>
    internal bool Tick()
    {
        var (gen0, heap, cpuShare) = (_gen0Collections(), _heapBytes(), _cpuShare());
        if (gen0 != _lastGen0 || heap < _heapAtLast) (_lastGen0, _heapAtLast) = (gen0, heap);
        if (heap - _heapAtLast < _settings.Gen0Bytes || cpuShare >= _settings.MaxCpuShare || _recentLatency() > _settings.KeepingUp) return false;
        _collect();
        Interlocked.Increment(ref _paced);
        (_lastGen0, _heapAtLast) = (_gen0Collections(), _heapBytes());
        return true;
    }

    private void Run()
    {
        while (!_stopped)
        {
            Thread.Sleep(_settings.CheckInterval);
            if (!_stopped) Tick();
        }
    }

    public void Dispose() => _stopped = true;
}
