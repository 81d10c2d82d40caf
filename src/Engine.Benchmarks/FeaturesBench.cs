using System.Globalization;
using System.Text;
using Engine.Host.Embedded;
using StackExchange.Redis;

namespace Engine.Benchmarks;

/// <summary>
/// <c>./engine bench features</c>: events applied per second by the write-behind feature store versus one Redis
/// command per feature per event, and user-vector read latency, on Garnet (in a process of its own, and in the bench's
/// process as <c>demo</c> runs it) and on redis-server, same run.
/// </summary>
public sealed class FeaturesBench : IBenchSuite
{
    public string Name => "features";
    public string Description => "Feature store: events/s (write-behind vs per-event HINCRBY) and read p50/p99, on Garnet and redis-server";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var events = FeaturesBenchEvents.From(FeaturesBenchWorkload.Generate(context.Quick ? 100_000 : 1_000_000, users: 20_000, seed: 42));
        // Each server's store run starts after a warm-up on other events, long enough for the client's tiered JIT to reach
        // its optimised code (20,000 events left the first server measured with a colder client than the next ones).
        var warmUp = FeaturesBenchEvents.From(FeaturesBenchWorkload.Generate(context.Quick ? 20_000 : 200_000, users: 2_000, seed: 7));
        var baselineEvents = events.Clickstream.Take(context.Quick ? 5_000 : 30_000).ToList();
        var reads = context.Quick ? 2_000 : 20_000;
        var json = new Dictionary<string, object>();
        var table = new StringBuilder()
            .AppendLine($"Features bench: {events.Clickstream.Count:N0} synthetic events ({baselineEvents.Count:N0} for the baseline), 20,000 users, server on this machine.")
            .AppendLine()
            .AppendLine("| server | store events/s | baseline events/s | ratio | read p50 (us) | read p99 (us) | flushes | entity writes | apply / drain / flush wait (ms) | process CPU per event (us) | server CPU per event (us) | allocated per event (bytes) | GC pauses (share of the run, gen2) | one owner: events/s, CPU per event (us), allocated per event |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

        // Garnet as demo runs it (in this process, sharing its GC heap and cores with the client), then in a process of its
        // own (as it would be deployed, like redis-server), then redis-server.
        using (var garnet = new EmbeddedGarnet())
        {
            json["garnet"] = await MeasureAsync("garnet", "Garnet 2.2.8 (in the bench's process)", garnet.Endpoint, () => null, events, warmUp, baselineEvents, reads, table);
        }
        var (garnetProcess, garnetReason) = await BenchServer.StartGarnetAsync();
        if (garnetProcess is null) throw new InvalidOperationException($"bench features: {garnetReason}");
        using (garnetProcess)
        {
            json["garnet_own_process"] = await MeasureAsync("garnet_own_process", "Garnet 2.2.8 (own process)", garnetProcess.Endpoint, () => garnetProcess.Cpu, events, warmUp, baselineEvents, reads, table);
        }
        var (redis, reason) = await BenchServer.StartRedisAsync();
        if (redis is null)
        {
            json["redis"] = new Dictionary<string, object> { ["skipped"] = reason! };
            table.AppendLine($"| redis-server | skipped: {reason} | | | | | | | | | | | | |");
        }
        else
        {
            using (redis) json["redis"] = await MeasureAsync("redis", "redis-server", redis.Endpoint, () => redis.Cpu, events, warmUp, baselineEvents, reads, table);
        }
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
        json["load_average_1m"] = load;
        json["gc_mode"] = GcMode();
        table.AppendLine().AppendLine($"Machine: {Environment.ProcessorCount} cores, 1-minute load average {load} at the end of the run (the cores are shared; compare the ratio, not the absolute figures). GC: {GcMode()}.");
        table.AppendLine().AppendLine($"Store: as the engine's consumers feed it, one write-behind per clickstream partition ({events.ByPartition.Length}: its users and its slices of the items) and one for the campaign-events topic ({events.CampaignEvents.Count:N0} events re-keyed by campaign), all at once on the {Environment.ProcessorCount} cores; each applies its events in memory and flushes every {FeaturesBenchTarget.Chunk / events.ByPartition.Length:N0} of them as one MULTI/EXEC (absolute values, guarded by its partition offsets) while it applies the next; the time runs until every last flush is acknowledged. Apply / drain / flush wait are summed over the owners (they overlap). One owner: the same events through a single write-behind owning every partition and the campaigns, one thread, a flush every {FeaturesBenchTarget.Chunk:N0} events (the previous bench). Process CPU is the bench's (client, GC, and for Garnet in the bench's process the server too); server CPU is the server process's own over the store run. Baseline: one HINCRBY per feature bucket per event, each event awaited.");
        return new BenchResult(json, table.ToString());
    }

    private static double CpuPerEvent(StoreRun run, FeaturesBenchEvents events) => run.Cpu.TotalMicroseconds / events.Clickstream.Count;

    /// <summary>Which GC ran the bench: server or workstation, concurrent (Interactive) or not (Batch), and the gen0 budget if set.</summary>
    private static string GcMode() =>
        $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {System.Runtime.GCSettings.LatencyMode}, gen0size {Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "default"}";

    private static double BytesPerEvent(StoreRun run, FeaturesBenchEvents events) => (double)run.AllocatedBytes / events.Clickstream.Count;

    private static async Task<Dictionary<string, object>> MeasureAsync(
        string name, string label, string endpoint, Func<TimeSpan?> serverCpu, FeaturesBenchEvents events, FeaturesBenchEvents warmUp,
        List<(Engine.Models.Contracts.ClickEvent Event, Engine.Models.Features.EventPosition Position)> baselineEvents, int reads, StringBuilder table)
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(endpoint);
        var target = new FeaturesBenchTarget(connection, name);
        await target.RunStoreAsync(warmUp);
        await target.RunBaselineAsync(baselineEvents.Take(1_000).ToList());
        var serverCpuBefore = serverCpu();
        var run = await target.RunStoreAsync(events);
        var serverCpuPerEvent = serverCpu() - serverCpuBefore is { } serverRunCpu ? serverRunCpu.TotalMicroseconds / events.Clickstream.Count : (double?)null;
        var serverCpuCell = serverCpuPerEvent is { } perEvent ? perEvent.ToString("F1", CultureInfo.InvariantCulture) : "(in the process)";
        var (eventsPerSecond, store, flushes, writes) = (run.EventsPerSecond, run.Store, run.Flushes, run.Writes);
        var single = await target.RunSingleOwnerAsync(events);
        var baseline = await target.RunBaselineAsync(baselineEvents);
        var users = events.Clickstream.Select(e => e.Event.UserId).Distinct().ToList();
        var (p50, p99) = await FeaturesBenchTarget.ReadLatencyAsync(store, users, events.Clickstream[^1].Event.EventTime, reads);
        var ratio = eventsPerSecond / baseline;
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {eventsPerSecond:N0} | {baseline:N0} | {ratio:F1}x | {p50:F0} | {p99:F0} | {flushes} | {writes:N0} | {run.Apply.TotalMilliseconds:N0} / {run.Drain.TotalMilliseconds:N0} / {run.FlushWait.TotalMilliseconds:N0} | {CpuPerEvent(run, events):F1} | {serverCpuCell} | {BytesPerEvent(run, events):N0} | {run.GcPause.TotalMilliseconds:N0} ms ({run.GcPauseShare:P0}, {run.Gen2Collections}) | {single.EventsPerSecond:N0}, {CpuPerEvent(single, events):F1}, {BytesPerEvent(single, events):N0} |"));
        Console.WriteLine($"  {name}: {eventsPerSecond:N0} events/s vs baseline {baseline:N0} ({ratio:F1}x), read p50 {p50:F0} us p99 {p99:F0} us; apply {run.Apply.TotalMilliseconds:N0} ms, drain {run.Drain.TotalMilliseconds:N0} ms, flush wait {run.FlushWait.TotalMilliseconds:N0} ms, GC pauses {run.GcPause.TotalMilliseconds:N0} ms ({run.GcPauseShare:P0} of the run, {run.Gen2Collections} gen2), allocated {BytesPerEvent(run, events):N0} B/event, process CPU {CpuPerEvent(run, events):F1} us/event, server CPU {serverCpuCell} us/event; one owner: {single.EventsPerSecond:N0} events/s, {CpuPerEvent(single, events):F1} us/event");
        var result = new Dictionary<string, object>
        {
            ["server"] = label,
            ["events_per_sec"] = Math.Round(eventsPerSecond),
            ["baseline_events_per_sec"] = Math.Round(baseline),
            ["ratio"] = Math.Round(ratio, 2),
            ["read_p50_us"] = Math.Round(p50, 1),
            ["read_p99_us"] = Math.Round(p99, 1),
            ["events"] = events.Clickstream.Count,
            ["campaign_events"] = events.CampaignEvents.Count,
            ["owners"] = events.ByPartition.Length + 1,
            ["baseline_events"] = baselineEvents.Count,
            ["flushes"] = flushes,
            ["entity_writes"] = writes,
            ["apply_ms"] = Math.Round(run.Apply.TotalMilliseconds),
            ["drain_ms"] = Math.Round(run.Drain.TotalMilliseconds),
            ["flush_wait_ms"] = Math.Round(run.FlushWait.TotalMilliseconds),
            ["gc_pause_ms"] = Math.Round(run.GcPause.TotalMilliseconds),
            ["gen2_collections"] = run.Gen2Collections,
            ["gc_pause_share"] = Math.Round(run.GcPauseShare, 3),
            // Every thread's allocations over the run (owners, SE.Redis, and for Garnet the embedded server) per event.
            ["allocated_bytes_per_event"] = Math.Round(BytesPerEvent(run, events)),
            ["gc_mode"] = GcMode(),
            // Less sensitive to other load than events/s; includes the GC and, for Garnet, the embedded server.
            ["process_cpu_us_per_event"] = Math.Round(CpuPerEvent(run, events), 2),
            ["single_owner_events_per_sec"] = Math.Round(single.EventsPerSecond),
            ["single_owner_process_cpu_us_per_event"] = Math.Round(CpuPerEvent(single, events), 2),
            ["single_owner_entity_writes"] = single.Writes,
            ["single_owner_allocated_bytes_per_event"] = Math.Round(BytesPerEvent(single, events)),
            ["single_owner_gc_pause_ms"] = Math.Round(single.GcPause.TotalMilliseconds),
        };
        // The server's own process CPU over the store run (not for a server in this process, nor one started elsewhere).
        if (serverCpuPerEvent is { } serverUs) result["server_cpu_us_per_event"] = Math.Round(serverUs, 2);
        return result;
    }
}
