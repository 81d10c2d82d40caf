using System.Diagnostics;
using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using HdrHistogram;
using StackExchange.Redis;

namespace Engine.Benchmarks;

/// <summary>One store run: throughput, the time spent applying, draining and waiting for flushes (they overlap the next chunk's apply), and GC pauses within it.</summary>
public sealed record StoreRun(double EventsPerSecond, FeatureStore Store, int Flushes, long Writes, TimeSpan Apply, TimeSpan Drain, TimeSpan FlushWait, TimeSpan GcPause, int Gen2Collections, TimeSpan Cpu,
    TimeSpan Elapsed, long AllocatedBytes)
{
    /// <summary>The share of the run's wall time the process spent paused for the GC.</summary>
    public double GcPauseShare => GcPause / Elapsed;
}

/// <summary>The features bench against one server: our write-behind store, the naive per-event baseline, and read latency.</summary>
public sealed class FeaturesBenchTarget(IConnectionMultiplexer redis, string name)
{
    /// <summary>Events per flush over all owners: at 100k events/s, a flush every half second.</summary>
    public const int Chunk = 50_000;

    /// <summary>
    /// Events through the write-behind as the engine's consumers feed it: one owner per clickstream partition (its
    /// users and its slices of the items), and one for the campaign-events topic (keyed by campaign), all running at
    /// once. Each applies a chunk in memory, then flushes it as one batch while it applies its next chunk (one flush in
    /// flight per owner, as a partition's stage would). Counted until every last flush is acknowledged.
    /// </summary>
    public async Task<StoreRun> RunStoreAsync(FeaturesBenchEvents events)
    {
        var store = new FeatureStore(redis, new FeatureStoreOptions { KeyPrefix = $"bench:{name}:{Guid.NewGuid():N}:" }, new FeatureMetrics());
        var metrics = new FeatureMetrics();
        var chunk = Chunk / events.ByPartition.Length;
        var pausedBefore = GC.GetTotalPauseDuration();
        var gen2Before = GC.CollectionCount(2);
        // Every thread's allocations (the owners, SE.Redis and, for Garnet, the embedded server).
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        var owners = events.ByPartition
            .Select(partition => Task.Run(() => RunOwnerAsync(store, new FeatureWriteBehind(store, metrics, Topics.Clickstream, FeatureScope.UsersAndItems), partition, chunk)))
            .Append(Task.Run(() => RunOwnerAsync(store, new FeatureWriteBehind(store, metrics, Topics.CampaignEvents, FeatureScope.Campaigns), events.CampaignEvents, chunk)))
            .ToList();
        var runs = await Task.WhenAll(owners);
        var elapsed = clock.Elapsed;
        return new StoreRun(events.Clickstream.Count / elapsed.TotalSeconds, store, runs.Sum(r => r.Flushes), runs.Sum(r => r.Writes),
            Stopwatch.GetElapsedTime(0, runs.Sum(r => r.Apply)), Stopwatch.GetElapsedTime(0, runs.Sum(r => r.Drain)), Stopwatch.GetElapsedTime(0, runs.Sum(r => r.Wait)),
            GC.GetTotalPauseDuration() - pausedBefore, GC.CollectionCount(2) - gen2Before, Environment.CpuUsage.TotalTime - cpuBefore,
            elapsed, GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore);
    }

    /// <summary>
    /// The same events through one write-behind owning everything (the previous bench, and a single-node engine without
    /// per-partition owners): one thread, one 50,000-event batch at a time. For the parallel run's ratio, same process.
    /// </summary>
    public async Task<StoreRun> RunSingleOwnerAsync(FeaturesBenchEvents events)
    {
        var store = new FeatureStore(redis, new FeatureStoreOptions { KeyPrefix = $"bench:{name}:{Guid.NewGuid():N}:" }, new FeatureMetrics());
        var pausedBefore = GC.GetTotalPauseDuration();
        var gen2Before = GC.CollectionCount(2);
        // Every thread's allocations (the owners, SE.Redis and, for Garnet, the embedded server).
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        var run = await RunOwnerAsync(store, new FeatureWriteBehind(store, new FeatureMetrics(), Topics.Clickstream), events.Clickstream, Chunk);
        var elapsed = clock.Elapsed;
        return new StoreRun(events.Clickstream.Count / elapsed.TotalSeconds, store, run.Flushes, run.Writes,
            Stopwatch.GetElapsedTime(0, run.Apply), Stopwatch.GetElapsedTime(0, run.Drain), Stopwatch.GetElapsedTime(0, run.Wait),
            GC.GetTotalPauseDuration() - pausedBefore, GC.CollectionCount(2) - gen2Before, Environment.CpuUsage.TotalTime - cpuBefore,
            elapsed, GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore);
    }

    private static async Task<OwnerRun> RunOwnerAsync(FeatureStore store, FeatureWriteBehind writeBehind, List<(ClickEvent Event, EventPosition Position)> events, int chunkSize)
    {
        (FeatureBatch Batch, Task<FlushResult> Result)? inFlight = null;
        var run = new OwnerRun();
        for (var from = 0; from < events.Count; from += chunkSize)
        {
            var start = Stopwatch.GetTimestamp();
            await writeBehind.ApplyAsync(events.GetRange(from, Math.Min(chunkSize, events.Count - from)));
            var applied = Stopwatch.GetTimestamp();
            if (inFlight is { } previous) Complete(writeBehind, previous.Batch, await previous.Result);
            var waited = Stopwatch.GetTimestamp();
            var batch = writeBehind.TakeBatch();
            run.Drain += Stopwatch.GetTimestamp() - waited;
            run.Apply += applied - start;
            run.Wait += waited - applied;
            run.Writes += batch.Writes.Count;
            run.Flushes++;
            inFlight = (batch, store.FlushAsync(batch));
        }
        var end = Stopwatch.GetTimestamp();
        if (inFlight is { } last) Complete(writeBehind, last.Batch, await last.Result);
        run.Wait += Stopwatch.GetTimestamp() - end;
        return run;
    }

    /// <summary>One owner's share of a store run, in stopwatch ticks.</summary>
    private sealed class OwnerRun
    {
        public long Apply, Drain, Wait, Writes;
        public int Flushes;
    }

    /// <summary>
    /// The naive way: per event, one HINCRBY per affected feature bucket (user windows, item windows, campaign
    /// windows and spend), all of an event's commands pipelined and awaited before the next event.
    /// </summary>
    public async Task<double> RunBaselineAsync(IReadOnlyList<(ClickEvent Event, EventPosition Position)> events)
    {
        var db = redis.GetDatabase();
        var prefix = $"bench:{name}:naive:{Guid.NewGuid():N}:";
        var commands = new List<Task>(16);
        var clock = Stopwatch.StartNew();
        foreach (var (e, _) in events)
        {
            commands.Clear();
            var t = e.EventTime.ToUnixTimeMilliseconds();
            var type = FeatureNames.EventTypes[(int)e.Type];
            var userKey = prefix + "u:" + e.UserId;
            foreach (var (window, res) in new[] { ("5m", 60_000L), ("1h", 60_000L), ("24h", 3_600_000L), ("7d", 3_600_000L) })
                commands.Add(db.HashIncrementAsync(userKey, $"{type}_{window}:{t / res}"));
            if (e.ItemId is { } item)
            {
                commands.Add(db.HashIncrementAsync(prefix + "i:" + item, $"{type}_1h:{t / 60_000}"));
                commands.Add(db.HashIncrementAsync(prefix + "i:" + item, $"{type}_24h:{t / 3_600_000}"));
            }
            if (e.CampaignId is { } campaign)
            {
                foreach (var (window, res) in new[] { ("1m", 10_000L), ("15m", 60_000L), ("1h", 60_000L), ("24h", 3_600_000L) })
                    commands.Add(db.HashIncrementAsync(prefix + "c:" + campaign, $"{type}_{window}:{t / res}"));
                commands.Add(db.HashIncrementAsync(prefix + "c:" + campaign, $"spend:{t / 3_600_000}", (double)(e.Price ?? 0)));
            }
            await Task.WhenAll(commands);
        }
        return events.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Latency of reading a whole user vector from Redis (HGETALL, restore, compute) into a reused buffer.</summary>
    public static async Task<(double P50, double P99)> ReadLatencyAsync(FeatureStore store, IReadOnlyList<string> userIds, DateTimeOffset asOf, int reads)
    {
        var histogram = new LongHistogram(Stopwatch.Frequency * 10, 3);
        var buffer = new float[UserFeatures.All.Length];
        var random = new Random(3);
        for (var i = 0; i < reads; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await store.ReadUserAsync(userIds[random.Next(userIds.Count)], UserFeatures.All, asOf, buffer);
            // Clamped to the histogram's range: one read stalled past 10 s on a loaded machine (a GC, the scheduler) must not end the run.
            histogram.RecordValue(Math.Min(Stopwatch.GetTimestamp() - start, histogram.HighestTrackableValue));
        }
        double Micros(double percentile) => histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency;
        return (Micros(50), Micros(99));
    }

    private static void Complete(FeatureWriteBehind writeBehind, FeatureBatch batch, FlushResult result)
    {
        if (!result.Acknowledged) throw new InvalidOperationException($"bench flush not acknowledged: {result.Error}");
        writeBehind.Complete(batch, result);
    }
}
