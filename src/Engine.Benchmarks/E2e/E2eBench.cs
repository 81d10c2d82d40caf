using System.Diagnostics;
using Engine.Actors.Campaigns;
using Engine.Actors.Pipeline;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Decisions;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// <c>./engine bench e2e --out DIR</c>: the whole engine (one <see cref="EngineNode"/>: cluster member, shard regions,
/// both pipelines, churn sweeper) on the embedded Kafka mock and Garnet, or on the Kafka and Redis named by
/// <c>ENGINE_BENCH_KAFKA</c> / <c>ENGINE_BENCH_REDIS</c>. First the <see cref="NaiveBaseline"/> on the stream's first
/// events, then the engine on the same events and on, at full speed, then at each fixed input rate. Producer, engine and
/// servers share this process and the machine's cores, as they would on a single box.
/// </summary>
public sealed class E2eBench : IBenchSuite
{
    private const int Partitions = 4;
    private const long MaxLag = 10_000;

    /// <summary>
    /// A fixed rate's backlog past which its phase stops, reported as fallen behind: ~10,000 events a partition, within the ~5 MB
    /// the embedded broker keeps of each. Before 2026-12-07 a rate the engine could not follow (20,000/s on a host whose full
    /// speed read 13,500) outgrew it, the consumer's offsets fell off the log's start, and the whole run failed as stalled.
    /// </summary>
    private const long MaxBacklog = 40_000;

    public string Name => "e2e";
    public string Description => "End to end: events/s and event-to-decision latency per input rate, beside a naive baseline (ratio)";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var quick = context.Quick;
        int[] rates = RatesFromEnvironment() ?? (quick ? [500, 1_000] : [500, 1_000, 2_000, 5_000, 10_000, 20_000]);
        var phase = TimeSpan.FromSeconds(quick ? 4 : 10);
        // Each fixed rate runs this long unmeasured first: the first collections after a faster phase carry what it promoted
        // (a gen0 and a gen1 pausing ~20-30 ms, marking 3-18 MB through the old objects' cards, against 3-8 ms after).
        var settle = TimeSpan.FromSeconds(quick ? 1 : 3);
        var fullSpeed = TimeSpan.FromSeconds(quick ? 5 : 20);
        // A node's first half minute runs partly on tier-0 code while the JIT compiles (30% of the CPU in a profile 8-16 s in):
        // the measured full-speed phase follows a full-speed warm-up, reported too, labelled cold.
        var warmup = TimeSpan.FromSeconds(quick ? 5 : 30);
        var warmupCap = quick ? 30_000 : 250_000;
        // The baseline runs warm as the engine's measured phase does: its first ~13 s of events (at its ~1,500/s) are unmeasured,
        // time for the JIT's tier-1 code and the models' first calls (2,000 events before 2026-12-07: ~1.4 s, a review).
        var (baselineWarmup, baselineEvents) = quick ? (500, 1_000) : (20_000, 10_000);
        var fullSpeedCap = quick ? 30_000 : 200_000;
        var total = baselineWarmup + baselineEvents + warmupCap + fullSpeedCap + rates.Sum(r => (int)(r * (settle + phase).TotalSeconds));

        var demo = new DemoOptions(Users: 5_000, Campaigns: 20, Partitions: Partitions, Seed: 7);
        Console.WriteLine($"e2e: simulating {total:N0} events...");
        // Campaigns booked from the events' own world (flights scale with its duration), and checked: a bid for a campaign
        // outside its flight is answered without being priced, and the bench would measure that cheap exit instead.
        var world = E2eEvents.World(demo);
        var specs = DemoModels.CampaignSpecs(world);
        var events = E2eEvents.Simulate(total, world, specs);
        Console.WriteLine($"e2e: {events.CandidatesInFlight:P1} of the bid requests' candidate campaigns are in their booked flight");
        if (events.CandidatesInFlight < 0.99)
            throw new InvalidOperationException($"only {events.CandidatesInFlight:P1} of the bid requests' candidates are in their booked flight: the bookings are not the events' world");
        var (kafkaAddress, redisAddress) = (Environment.GetEnvironmentVariable("ENGINE_BENCH_KAFKA"), Environment.GetEnvironmentVariable("ENGINE_BENCH_REDIS"));
        // Redis in a process of its own, as deployed: in-process Garnet keeps every feature hash on the engine's GC heap, and
        // the engine's collections then pay to scan and move it (round 7: GC pauses ~100 ms against ~60 ms, docs/performance.md).
        using var garnet = redisAddress is null ? await StartGarnetAsync() : null;
        await using var infrastructure = await Infrastructure.StartAsync(kafkaAddress, redisAddress ?? garnet!.Endpoint, Partitions);
        var servers = infrastructure.Describe(garnet is null ? null : "embedded Microsoft Garnet in a child process: development and test only");
        Console.WriteLine($"e2e: {servers}");
        var modelsDir = DemoModels.FindDirectory(null);
        var models = DemoModels.Load(modelsDir);
        // Campaigns are booked on their topic, where the node's campaign feed reads them; the baseline reads them from memory.
        await CampaignBookings.PublishAsync(infrastructure.KafkaBootstrap, specs);
        var board = new CampaignBoard();
        foreach (var spec in specs) board.Publish(CampaignSnapshot.Booked(spec));
        using var producer = new E2eProducer(infrastructure.KafkaBootstrap, events);

        // Baseline first, on events [0, baselineEvents): produced while it consumes (the mock broker keeps ~5 MB per partition).
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(infrastructure.RedisEndpoint);
        // Redis keys of this run only: on a Redis kept from an earlier run, its features would make every event a replay
        // (decided again over features already applied, every list the same: a figure that measures nothing).
        var keys = $"bench-e2e-{DateTime.UtcNow:yyyyMMddHHmmss}:";
        var baseline = new NaiveBaseline(infrastructure.KafkaBootstrap, redis, models, board, keys + "baseline:", infrastructure.KafkaClientTuning);
        var baselineRun = Task.Run(() => baseline.RunAsync(baselineWarmup, baselineEvents, cancellationToken), cancellationToken); // its consumer loop blocks
        await producer.ProduceAsync(0, baselineWarmup + baselineEvents, 0, () => baseline.Processed, MaxLag, cancellationToken);
        var baselineResult = await baselineRun;
        Console.WriteLine($"e2e: baseline {baselineResult.EventsPerSec:N0} events/s over {baselineResult.Events:N0} events (after {baselineResult.WarmupEvents:N0} unmeasured), " +
                          $"{baselineResult.LateBids:N0} late bids dropped");

        // The engine reads the clickstream from its start: the baseline's events again, then on at full speed.
        // Fewer asks in flight per partition than the default (256): on two shared cores a deep queue only adds waiting, and the
        // longer ask timeout keeps a starved moment on a busy machine from failing the stream. KafkaClient also reaches the
        // node's producers, which ignore a consumer property with a warning.
        // Lists are not conflated (unlike run's default): this world is 5,000 users' 56 days played in a minute, so a session's clicks
        // fall in one read and conflation would skip ~5 lists in 6 at full speed, which a real site's traffic (a session's clicks
        // seconds apart, a partition's 512 records within a second) never sees. ENGINE_BENCH_CONFLATION_WINDOW=512 measures it.
        var settings = new EngineNodeSettings(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, modelsDir, Partitions, new ClusterSettings(),
            AskParallelism: 32, AskTimeout: TimeSpan.FromSeconds(60), KafkaClient: infrastructure.KafkaClientTuning,
            Features: new Engine.Actors.Features.FeatureStoreOptions { KeyPrefix = keys + "f:" }, ChurnKeyPrefix: keys + "churn:", ClusterKeyPrefix: keys + "cluster:",
            GcPacing: GcPacingFromEnvironment(), ListConflationWindow: ListConflationWindow());
        await using var node = await EngineNode.StartAsync(settings, models, new CampaignCatalog(), new CampaignBoard(), cancellationToken);
        // As demo does: the embedded broker deletes what the node has committed (its fetches walk the whole log; a real broker's do not).
        // ENGINE_BENCH_NO_RETENTION=1 keeps the mock's logs full, to measure the difference.
        if (Environment.GetEnvironmentVariable("ENGINE_BENCH_NO_RETENTION") != "1") infrastructure.KeepOnlyUncommitted(settings.InputGroups);
        var next = baselineWarmup + baselineEvents;
        // Partitions are assigned a moment after the node starts: phases time the engine from its first consumed batch.
        for (var wait = Stopwatch.StartNew(); node.UserCounters.Consumed == 0 && wait.Elapsed < TimeSpan.FromSeconds(60);) await Task.Delay(10, cancellationToken);
        if (node.UserCounters.Consumed == 0) throw new InvalidOperationException("the engine consumed nothing within 60 s of its start: no figure to measure");
        using var pauses = new GcPauses();
        var phases = new List<E2ePhase>();
        var (skipped, fellBehind) = (new List<int>(), new List<int>());
        phases.Add(await RunPhaseAsync(node, garnet, producer, pauses, next, warmupCap, 0, warmup, cancellationToken, cold: true));
        next += (int)phases[^1].Produced;
        using (var sampler = AllocationSampler.FromEnvironment())
        {
            sampler?.Start();
            phases.Add(await RunPhaseAsync(node, garnet, producer, pauses, next, fullSpeedCap, 0, fullSpeed, cancellationToken));
            sampler?.Stop();
            if (sampler is not null) Console.Write(sampler.Report(phases[^1].Consumed, 80, Path.Combine(context.OutDir.FullName, "e2e-alloc-types.txt")));
        }
        next += (int)phases[^1].Produced;
        var saturation = phases[^1].EventsPerSec;
        foreach (var rate in rates)
        {
            // A rate well past what the engine sustains only measures the backlog: reported as skipped, not run.
            if (rate > 1.5 * saturation)
            {
                Console.WriteLine($"e2e: {rate:N0}/s skipped: above 1.5x the full-speed throughput ({saturation:N0}/s)");
                skipped.Add(rate);
                continue;
            }
            await DrainAsync(node, producer, TimeSpan.FromSeconds(60), cancellationToken);
            next += await SettleAsync(producer, next, rate, settle, cancellationToken);
            var before = producer.Produced;
            try
            {
                phases.Add(await RunPhaseAsync(node, garnet, producer, pauses, next, (int)(rate * phase.TotalSeconds), rate, phase, cancellationToken));
            }
            catch (FellBehind behind)
            {
                Console.WriteLine($"e2e: {rate:N0}/s stopped: {behind.Message}");
                fellBehind.Add(rate);
            }
            next += (int)(producer.Produced - before);
        }
        await DrainAsync(node, producer, TimeSpan.FromSeconds(60), cancellationToken);
        await node.StopAsync();
        return E2eReport.Build(context.OutDir, servers, Partitions, baselineResult, phases, skipped, settle, fellBehind);
    }

    /// <summary>
    /// Produces up to <paramref name="count"/> events at <paramref name="rate"/> (0: full speed) for at most
    /// <paramref name="duration"/>, waits for the engine to consume them, and reads throughput and latency of the phase.
    /// </summary>
    /// <param name="cold">The warm-up phase: reported, but not the sustained figure.</param>
    private static async Task<E2ePhase> RunPhaseAsync(EngineNode node, BenchServer? garnet, E2eProducer producer, GcPauses pauses,
        int from, int count, int rate, TimeSpan duration, CancellationToken cancellationToken, bool cold = false)
    {
        var counters = node.UserCounters;
        var startConsumed = counters.Consumed;
        var startProduced = producer.Produced;
        node.Decisions.LatencyMicros.Reset();
        node.Decisions.Hops.Reset();
        var startCost = E2eCost.Now(garnet);
        pauses.TakeAndReset();
        var startPaced = node.GcPacer.PacedCollections;
        var startLate = node.Decisions.LateBidsDropped;
        var (startLists, startConflated) = (node.Decisions.Recommendations, node.Decisions.ListsConflated);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Full speed stops on time. A rate's schedule spans its duration from the producer's own start (after this clock's): it
        // runs to its end, or to twice the duration if the producer falls that far behind it (before 2026-12-07 the phase's timer
        // cut the schedule's last events, those a pause near the end had made late among them).
        stop.CancelAfter(rate > 0 ? duration * 2 : duration);
        // A fixed rate does not wait for the engine (an open loop, as traffic is); past MaxBacklog it is stopped.
        var behind = 0L;
        var watching = rate > 0 ? Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (producer.Produced - counters.Consumed is var backlog and > MaxBacklog)
                {
                    Interlocked.Exchange(ref behind, backlog);
                    await stop.CancelAsync();
                    return;
                }
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None) : Task.CompletedTask;
        try
        {
            await producer.ProduceAsync(from, count, rate, () => counters.Consumed, MaxLag, stop.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The phase's time is up, or its backlog outgrew the broker.
        }
        await stop.CancelAsync();
        await watching;
        if (Interlocked.Read(ref behind) is > 0 and var fell)
            throw new FellBehind($"the engine fell {fell:N0} events behind {rate:N0}/s after {clock.Elapsed.TotalSeconds:F1} s, past what the embedded " +
                                 $"broker keeps ({MaxBacklog:N0}); not a figure");
        var producedIn = producer.Produced - startProduced;
        var producing = clock.Elapsed;
        // The engine reads the whole clickstream (the baseline's events too): the phase ends when it has read all produced.
        while (counters.Consumed < producer.Produced && clock.Elapsed < duration * 4 && !node.Completion.IsCompleted) await Task.Delay(20, cancellationToken);
        if (node.Completion is { IsFaulted: true } failed) throw new InvalidOperationException("the engine's stream failed during the phase", failed.Exception);
        // A stall or an ended stream is no figure (before 2026-12-07 the phase was reported with what it had read, the next one
        // began behind the rest, and the run exited 0).
        if (node.Completion.IsCompleted) throw new InvalidOperationException("the engine's stream ended during the phase");
        if (counters.Consumed < producer.Produced)
            throw new InvalidOperationException($"the engine read {counters.Consumed - startConsumed:N0} of the {producer.Produced - startConsumed:N0} events " +
                                                $"produced since the phase began within {(duration * 4).TotalSeconds:N0} s: stalled");
        var seconds = clock.Elapsed.TotalSeconds;
        var cost = E2eCost.Now(garnet) - startCost;
        var latency = node.Decisions.LatencyMicros.Copy();
        var pauseLengths = pauses.TakeAndReset();
        var paced = node.GcPacer.PacedCollections - startPaced;
        var hops = Enum.GetValues<Hop>().ToDictionary(hop => hop, hop => node.Decisions.Hops[hop].Copy());
        var phase = new E2ePhase(rate, cold, producedIn, producedIn / producing.TotalSeconds, counters.Consumed - startConsumed, seconds,
            (counters.Consumed - startConsumed) / seconds, Millis(latency, 50), Millis(latency, 99), Millis(latency, 99.9), latency.TotalCount,
            hops.ToDictionary(h => h.Key, h => (Millis(h.Value, 50), Millis(h.Value, 99))), cost, pauseLengths,
            rate > 0 ? (Millis(producer.Lateness, 50), Millis(producer.Lateness, 99)) : null, paced, node.Decisions.LateBidsDropped - startLate,
            node.Decisions.Recommendations - startLists, node.Decisions.ListsConflated - startConflated);
        var consumed = phase.Consumed;
        Console.WriteLine($"e2e: {phase.Label}: in {phase.InputPerSec:N0}/s, engine {phase.EventsPerSec:N0}/s, " +
                          $"cpu {cost.CpuUsPerEvent(consumed)} us/event, {cost.BytesPerEvent(consumed):N0} B/event, gc pause {cost.GcPausePercent(seconds)}% " +
                          $"({pauseLengths.Count} pauses, {paced} of them paced, p99 {pauseLengths.P99Ms} ms, max {pauseLengths.MaxMs} ms, suspending max {pauseLengths.MaxSuspendingMs} ms, " +
                          $"{pauseLengths.PromotedMbPerGc} MB out of gen0 per GC; gen1 {cost.Gen1}, gen2 {cost.Gen2}), " +
                          $"p50 {phase.P50Ms} ms p99 {phase.P99Ms} ms p99.9 {phase.P999Ms} ms, {phase.LateBids:N0} late bids dropped, {phase.Lists:N0} lists sent and {phase.ListsConflated:N0} left to a later click read with them; hops p50/p99 ms: " +
                          string.Join(", ", phase.Hops.Select(h => $"{h.Key} {h.Value.P50}/{h.Value.P99}")));
        return phase;
    }

    /// <summary>A fixed rate the engine fell too far behind to measure (<see cref="MaxBacklog"/>).</summary>
    private sealed class FellBehind(string message) : Exception(message);

    /// <summary>Produces at <paramref name="rate"/> for <paramref name="duration"/>, unmeasured (the measured phase follows at once); returns how many.</summary>
    private static async Task<int> SettleAsync(E2eProducer producer, int from, int rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var before = producer.Produced;
        await producer.ProduceAsync(from, (int)(rate * duration.TotalSeconds), rate, () => 0, MaxLag, cancellationToken);
        return (int)(producer.Produced - before);
    }

    /// <summary>Waits until the engine has read everything produced, so a phase does not start behind the previous one's backlog.</summary>
    private static async Task DrainAsync(EngineNode node, E2eProducer producer, TimeSpan limit, CancellationToken cancellationToken)
    {
        for (var wait = Stopwatch.StartNew(); node.UserCounters.Consumed < producer.Produced && wait.Elapsed < limit;) await Task.Delay(20, cancellationToken);
        if (node.UserCounters.Consumed < producer.Produced)
            throw new InvalidOperationException($"the engine left {producer.Produced - node.UserCounters.Consumed:N0} events unread {limit.TotalSeconds:N0} s after a phase: stalled");
    }

    private static async Task<BenchServer> StartGarnetAsync()
    {
        var (server, reason) = await BenchServer.StartGarnetAsync();
        return server ?? throw new InvalidOperationException("e2e: could not start Garnet in a child process: " + reason);
    }

    /// <summary>ENGINE_BENCH_CONFLATION_WINDOW: the node's <see cref="EngineNodeSettings.ListConflationWindow"/> (default 0 here, see above).</summary>
    private static int ListConflationWindow() =>
        int.TryParse(Environment.GetEnvironmentVariable("ENGINE_BENCH_CONFLATION_WINDOW"), out var window) ? window : 0;

    /// <summary>
    /// <c>ENGINE_BENCH_GC_PACING_MB=0</c>: the node's gen0 pacing off (or at that many MB), and
    /// <c>ENGINE_BENCH_GC_PACING_KEEPING_UP_MS</c> its latency gate and <c>ENGINE_BENCH_GC_PACING_MAX_CPU</c> its CPU gate (a share of
    /// the cores, 0..1), to measure them side by side.
    /// </summary>
    private static GcPacingSettings GcPacingFromEnvironment()
    {
        var pacing = GcPacingSettings.Default;
        if (Environment.GetEnvironmentVariable("ENGINE_BENCH_GC_PACING_MB") is { Length: > 0 } mb)
            pacing = pacing with { Gen0Bytes = long.Parse(mb, System.Globalization.CultureInfo.InvariantCulture) << 20 };
        if (Environment.GetEnvironmentVariable("ENGINE_BENCH_GC_PACING_KEEPING_UP_MS") is { Length: > 0 } ms)
            pacing = pacing with { KeepingUp = TimeSpan.FromMilliseconds(int.Parse(ms, System.Globalization.CultureInfo.InvariantCulture)) };
        if (Environment.GetEnvironmentVariable("ENGINE_BENCH_GC_PACING_MAX_CPU") is { Length: > 0 } cpu)
            pacing = pacing with { MaxCpuShare = double.Parse(cpu, System.Globalization.CultureInfo.InvariantCulture) };
        if (Environment.GetEnvironmentVariable("ENGINE_BENCH_GC_PACING_CHECK_MS") is { Length: > 0 } check)
            pacing = pacing with { CheckInterval = TimeSpan.FromMilliseconds(int.Parse(check, System.Globalization.CultureInfo.InvariantCulture)) };
        return pacing;
    }

    /// <summary><c>ENGINE_BENCH_RATES=10000</c> (comma-separated): only these input rates, to study one phase in a shorter run.</summary>
    private static int[]? RatesFromEnvironment() =>
        Environment.GetEnvironmentVariable("ENGINE_BENCH_RATES") is { Length: > 0 } rates
            ? rates.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => int.Parse(r, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : null;

    private static double Millis(HdrHistogram.HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 2);
}

/// <summary>
/// One phase: what was produced at what rate, what the engine consumed, event-to-decision latency, its p50/p99 per hop,
/// at a fixed rate how late the producer was after the scheduled arrivals (ms), and how many gen0 collections the node's
/// pacer ran (also among <paramref name="Pauses"/>); the lists sent, and those left to a later click of the session read with them
/// (<paramref name="ListsConflated"/>: under a backlog, docs/contracts.md).
/// </summary>
internal sealed record E2ePhase(int TargetRate, bool Cold, long Produced, double InputPerSec, long Consumed, double Seconds, double EventsPerSec,
    double P50Ms, double P99Ms, double P999Ms, long Decided, IReadOnlyDictionary<Hop, (double P50, double P99)> Hops, E2eCost Cost,
    GcPauseLengths Pauses, (double P50, double P99)? ProducerLate, long PacedCollections, long LateBids, long Lists, long ListsConflated)
{
    public string Label => Cold ? "full speed, cold (warm-up)" : TargetRate == 0 ? "full speed" : $"{TargetRate:N0}/s";
}
