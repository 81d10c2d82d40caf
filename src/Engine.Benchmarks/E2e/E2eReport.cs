using System.Globalization;
using System.Text;
using Engine.Actors.Pipeline;

namespace Engine.Benchmarks.E2e;

/// <summary>The e2e figures as JSON (snake_case), Markdown, and a plot of latency percentiles against input rate.</summary>
internal static class E2eReport
{
    private const double FloorEventsPerSec = 50_000, FloorP99Ms = 10, FloorRatio = 5;

    /// <param name="settle">How long each fixed rate ran unmeasured before its phase.</param>
    public static BenchResult Build(DirectoryInfo outDir, string servers, int partitions, NaiveBaseline.Result baseline, List<E2ePhase> phases, List<int> skipped, TimeSpan settle,
        List<int> fellBehind)
    {
        var full = phases.First(p => p.TargetRate == 0 && !p.Cold);
        var cold = phases.FirstOrDefault(p => p.Cold);
        var ratio = baseline.EventsPerSec > 0 ? full.EventsPerSec / baseline.EventsPerSec : 0;
        var at10k = phases.FirstOrDefault(p => p.TargetRate == 10_000);
        var plot = Plot(outDir, phases);
        var json = new Dictionary<string, object?>
        {
            ["events_per_sec"] = Math.Round(full.EventsPerSec),
            ["baseline_events_per_sec"] = Math.Round(baseline.EventsPerSec),
            ["ratio"] = Math.Round(ratio, 2),
            ["cold_events_per_sec"] = cold is null ? null : Math.Round(cold.EventsPerSec),
            ["cpu_us_per_event"] = full.Cost.CpuUsPerEvent(full.Consumed),
            ["servers"] = servers,
            ["partitions"] = partitions,
            ["cores"] = Environment.ProcessorCount,
            ["baseline"] = new Dictionary<string, object>
            {
                ["events"] = baseline.Events, ["seconds"] = Math.Round(baseline.Seconds, 2), ["late_bids_dropped"] = baseline.LateBids,
                ["latency_ms"] = Latency(Ms(baseline.LatencyMicros, 50), Ms(baseline.LatencyMicros, 99), Ms(baseline.LatencyMicros, 99.9)),
            },
            ["phases"] = phases.Select(p => new Dictionary<string, object?>
            {
                ["input_rate"] = p.Cold ? "full_cold" : p.TargetRate == 0 ? "full" : p.TargetRate,
                ["input_events_per_sec"] = Math.Round(p.InputPerSec),
                ["events_per_sec"] = Math.Round(p.EventsPerSec),
                ["events"] = p.Consumed,
                ["seconds"] = Math.Round(p.Seconds, 2),
                ["decided_events"] = p.Decided,
                ["latency_ms"] = Latency(p.P50Ms, p.P99Ms, p.P999Ms),
                // Bid requests whose answer would have come after their tmax: not sent, so not in the latency above (each one late).
                ["late_bids_dropped"] = p.LateBids,
                // Lists sent, and page events whose list a later click of the session read with them replaced (ListConflation).
                ["lists_sent"] = p.Lists,
                ["lists_conflated"] = p.ListsConflated,
                ["cpu_us_per_event"] = p.Cost.CpuUsPerEvent(p.Consumed),
                ["allocated_bytes_per_event"] = p.Cost.BytesPerEvent(p.Consumed),
                ["gc_pause_percent"] = p.Cost.GcPausePercent(p.Seconds),
                ["gc_pauses"] = new Dictionary<string, double?>
                {
                    ["count"] = p.Pauses.Count, ["p50_ms"] = p.Pauses.P50Ms, ["p99_ms"] = p.Pauses.P99Ms, ["max_ms"] = p.Pauses.MaxMs,
                    ["promoted_from_gen0_mb_per_gc"] = p.Pauses.PromotedMbPerGc, ["paced"] = p.PacedCollections,
                    ["marking_p50_ms"] = p.Pauses.Anatomy?.MarkingP50Ms, ["after_marking_p50_ms"] = p.Pauses.Anatomy?.AfterMarkingP50Ms,
                    ["reached_through_cards_mb_per_gc"] = p.Pauses.Anatomy?.CardsMbPerGc,
                },
                ["hops_ms"] = p.Hops.ToDictionary(h => PipelineHops.Name(h.Key), h => new Dictionary<string, double> { ["p50"] = h.Value.P50, ["p99"] = h.Value.P99 }),
                ["producer_late_ms"] = p.ProducerLate is { } late ? new Dictionary<string, double> { ["p50"] = late.P50, ["p99"] = late.P99 } : null,
            }).ToList(),
            ["skipped_rates"] = skipped,
            ["fell_behind_rates"] = fellBehind,
            ["floors"] = new Dictionary<string, object?>
            {
                ["events_per_sec_at_least_50000"] = full.EventsPerSec >= FloorEventsPerSec,
                ["p99_under_10ms_at_10000_per_sec"] = at10k is null ? null : at10k.P99Ms < FloorP99Ms,
                ["ratio_at_least_5"] = ratio >= FloorRatio,
            },
            ["plot"] = plot,
        };
        var md = new StringBuilder("# End-to-end benchmark\n\n")
            .AppendLine(CultureInfo.InvariantCulture, $"{servers}; {partitions} partitions; {Environment.ProcessorCount} cores shared by producer, engine and servers.\n")
            .AppendLine(CultureInfo.InvariantCulture, $"- engine at full speed, sustained (after a full-speed warm-up): **{full.EventsPerSec:N0} events/s** (floor {FloorEventsPerSec:N0}); " +
                                                      $"{full.Cost.CpuUsPerEvent(full.Consumed)} us of process CPU per event")
            .AppendLine(CultureInfo.InvariantCulture, $"- cold, the warm-up phase right after the node started: {cold?.EventsPerSec ?? 0:N0} events/s")
            .AppendLine(CultureInfo.InvariantCulture, $"- naive baseline (one loop, a Redis round trip per read and per write, the actor's decisions and rules, no actors or batching; " +
                                                      $"warm: {baseline.WarmupEvents:N0} events unmeasured first): **{baseline.EventsPerSec:N0} events/s**")
            .AppendLine(CultureInfo.InvariantCulture, $"- ratio: **{ratio:F2}x** (floor {FloorRatio}x)\n")
            .AppendLine("| input | input events/s | engine events/s | events | seconds | p50 ms | p99 ms | p99.9 ms | late bids dropped | lists sent / conflated | cpu us/event | bytes/event | gc pause | gc pauses: count (paced), p99 / max ms | MB out of gen0 per gc |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var p in phases)
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Label} | {p.InputPerSec:N0} | {p.EventsPerSec:N0} | {p.Consumed:N0} | {p.Seconds:F1} | {FullSpeedLatency(p, p.P50Ms)} | {FullSpeedLatency(p, p.P99Ms)} | {FullSpeedLatency(p, p.P999Ms)} | {p.LateBids:N0} | {p.Lists:N0} / {p.ListsConflated:N0} | " +
                $"{p.Cost.CpuUsPerEvent(p.Consumed)} | {p.Cost.BytesPerEvent(p.Consumed):N0} | {p.Cost.GcPausePercent(p.Seconds)}% | {p.Pauses.Count:N0} ({p.PacedCollections:N0}), {p.Pauses.P99Ms} / {p.Pauses.MaxMs} | {p.Pauses.PromotedMbPerGc} |");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| baseline | | {baseline.EventsPerSec:N0} | {baseline.Events:N0} | {baseline.Seconds:F1} | {Ms(baseline.LatencyMicros, 50)} (backlog) | {Ms(baseline.LatencyMicros, 99)} | {Ms(baseline.LatencyMicros, 99.9)} | {baseline.LateBids:N0} | | | | | | |");
        if (skipped.Count > 0)
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"Not run (above 1.5x the full-speed throughput, where latency only measures the backlog): {string.Join(", ", skipped.Select(r => r.ToString("N0", CultureInfo.InvariantCulture) + "/s"))}.");
        if (fellBehind.Count > 0)
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"Stopped, the engine too far behind (a backlog past what the embedded broker keeps; not kept up): {string.Join(", ", fellBehind.Select(r => r.ToString("N0", CultureInfo.InvariantCulture) + "/s"))}.");
        md.AppendLine().AppendLine("Per hop, p50 / p99 ms, of the events that caused decisions (each hop from the stamp before; " +
                                   "produced and durable run side by side from the batch, the offset is committed after both); " +
                                   "beside them, how late the bench producer was after each scheduled arrival (part of kafka_to_poll):").AppendLine()
            .AppendLine("| input | producer late | " + string.Join(" | ", Enum.GetValues<Hop>().Select(PipelineHops.Name)) + " |")
            .AppendLine("|---|---|" + string.Concat(Enum.GetValues<Hop>().Select(_ => "---|")));
        foreach (var p in phases)
        {
            var cells = Enum.GetValues<Hop>().Select(h => p.Hops.TryGetValue(h, out var v) ? string.Create(CultureInfo.InvariantCulture, $"{v.P50} / {v.P99}") : "");
            var late = p.ProducerLate is { } l ? string.Create(CultureInfo.InvariantCulture, $"{l.P50} / {l.P99}") : "";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Label} | {late} | {string.Join(" | ", cells)} |");
        }
        md.AppendLine().AppendLine("What the collections' pauses were made of (p50 per phase): from a collection's start until its heaps finished " +
                                   "marking through the cards of old objects, and after that (plan, relocate, compact) until the threads restart; " +
                                   "and the MB those cards led to per collection (young objects that long-lived ones point at: the length follows them):").AppendLine()
            .AppendLine("| input | pauses | pause p50 ms | marking ms | after marking ms | MB reached through cards per gc |")
            .AppendLine("|---|---|---|---|---|---|");
        foreach (var p in phases)
        {
            var anatomy = p.Pauses.Anatomy;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Label} | {p.Pauses.Count:N0} | {p.Pauses.P50Ms} | {anatomy?.MarkingP50Ms} | {anatomy?.AfterMarkingP50Ms} | {anatomy?.CardsMbPerGc} |");
        }
        md.AppendLine().AppendLine("CPU is of the whole process (engine, bench producer, embedded broker) and of the Garnet child process the bench " +
                                   "starts when no Redis is given; bytes and GC pauses are of the engine's process; per " +
                                   "consumed event or as a share of the phase's time; gc pauses: each stop-the-world pause's length (events queue behind it); MB out of gen0 per gc: " +
                                   "what each collection found still referenced among the young objects (it sets much of a pause's length); " +
                                   "(paced): of them, those the node's gen0 pacer ran. Bytes per event come from GC.GetTotalAllocatedBytes, which on " +
                                   ".NET 10 counts only the heaps in use: when DATAS retires one the count drops and then stands still, so a phase " +
                                   "can read 0 or too high (dotnet/runtime#131069).");
        md.AppendLine().AppendLine("Latency: from the record's Kafka timestamp to the Kafka acknowledgement of its decisions. At a fixed rate the events " +
                                   "arrive as a Poisson stream and each is stamped with its scheduled arrival (to the nearest ms, on the wall clock at " +
                                   "produce time less the monotonic lateness), so a pause of this process (which hosts the producer beside the engine) " +
                                   FormattableString.Invariant($"counts for the events due during it; each rate ran {settle.TotalSeconds:0.#} s unmeasured before its measured seconds, so its figures are ") +
                                   "of that rate, not of the collections that carry over from the faster phase before. At full speed, the stamp is the " +
                                   "produce time. " +
                                   "A rate phase whose input falls short of its target was held back by the consumer lag bound (the engine was saturated).");
        md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"![latency against input rate]({Path.GetFileName(plot)})");
        return new BenchResult(json, md.ToString());
    }

    private static Dictionary<string, double> Latency(double p50, double p99, double p999) => new() { ["p50"] = p50, ["p99"] = p99, ["p999"] = p999 };

    private static double Ms(HdrHistogram.HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? 0 : Math.Round(h.GetValueAtPercentile(percentile) / 1000.0, 2);

    /// <summary>A full-speed phase's latency is its backlog (the producer waits while 10,000 events are unconsumed): said so beside it.</summary>
    private static string FullSpeedLatency(E2ePhase phase, double ms) =>
        phase.TargetRate == 0 ? string.Create(CultureInfo.InvariantCulture, $"{ms} (backlog)") : ms.ToString(CultureInfo.InvariantCulture);

    private static string Plot(DirectoryInfo outDir, List<E2ePhase> phases)
    {
        // The fixed rates only: at full speed the latency is the bench's own backlog bound over the throughput, not a property of
        // a rate (before 2026-12-07 it was plotted as one, a cliff past the highest rate that flattened the others' curves).
        var ordered = phases.Where(p => !p.Cold && p.TargetRate > 0).OrderBy(p => p.InputPerSec).ToList();
        var xs = ordered.Select(p => p.InputPerSec).ToArray();
        var plot = new ScottPlot.Plot();
        foreach (var (label, values) in new[]
                 {
                     ("p50", ordered.Select(p => p.P50Ms)), ("p99", ordered.Select(p => p.P99Ms)), ("p99.9", ordered.Select(p => p.P999Ms)),
                 })
            plot.Add.Scatter(xs, values.ToArray()).LegendText = label;
        plot.XLabel("input events/s (achieved)");
        plot.YLabel("event-to-decision latency, ms");
        plot.Title("Engine end to end: latency percentiles against input rate");
        plot.ShowLegend();
        var path = Path.Combine(outDir.FullName, "e2e-latency.png");
        plot.SavePng(path, 900, 540);
        return path;
    }
}
