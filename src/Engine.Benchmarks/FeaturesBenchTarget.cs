using System.Diagnostics;
using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using HdrHistogram;
using StackExchange.Redis;

namespace Engine.Benchmarks;

/// <summary>One store run: throughput, the time spent applying, draining and waiting for flushes (they overlap the next chunk's apply), and GC pauses within it.</summary>
public sealed record StoreRun(double EventsPerSecond, FeatureStore Store, int Flushes, long Writes, TimeSpan Apply, TimeSpan Drain, TimeSpan FlushWait, TimeSpan GcPause, int Gen2Collections);

/// <summary>The features bench against one server: our write-behind store, the naive per-event baseline, and read latency.</summary>
public sealed class FeaturesBenchTarget(IConnectionMultiplexer redis, string name)
{
    /// <summary>Events per flush: at 100k events/s, a flush every half second.</summary>
    public const int Chunk = 50_000;

    /// <summary>
    /// Events through the write-behind: apply a chunk in memory, then flush it as one batch while the next chunk is
    /// applied (one flush in flight, as an actor would PipeTo it). Counted until the last flush is acknowledged.
    /// </summary>
    public async Task<StoreRun> RunStoreAsync(IReadOnlyList<(ClickEvent Event, EventPosition Position)> events)
    {
        var store = new FeatureStore(redis, new FeatureStoreOptions { KeyPrefix = $"bench:{name}:{Guid.NewGuid():N}:" }, new FeatureMetrics());
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), Topics.Clickstream);
        var clock = Stopwatch.StartNew();
        (FeatureBatch Batch, Task<FlushResult> Result)? inFlight = null;
        var flushes = 0;
        long writes = 0;
        // Where the time goes: applying in memory, draining into a batch, and waiting for the flush in flight.
        long apply = 0, drain = 0, wait = 0;
        var pausedBefore = GC.GetTotalPauseDuration();
        var gen2Before = GC.CollectionCount(2);
        foreach (var chunk in events.Chunk(Chunk))
        {
            var start = Stopwatch.GetTimestamp();
            await writeBehind.ApplyAsync(chunk);
            var applied = Stopwatch.GetTimestamp();
            if (inFlight is { } previous) Complete(writeBehind, previous.Batch, await previous.Result);
            var waited = Stopwatch.GetTimestamp();
            var batch = writeBehind.TakeBatch();
            drain += Stopwatch.GetTimestamp() - waited;
            apply += applied - start;
            wait += waited - applied;
            writes += batch.Writes.Count;
            flushes++;
            inFlight = (batch, store.FlushAsync(batch));
        }
        var end = Stopwatch.GetTimestamp();
        if (inFlight is { } last) Complete(writeBehind, last.Batch, await last.Result);
        wait += Stopwatch.GetTimestamp() - end;
        return new StoreRun(events.Count / clock.Elapsed.TotalSeconds, store, flushes, writes,
            Stopwatch.GetElapsedTime(0, apply), Stopwatch.GetElapsedTime(0, drain), Stopwatch.GetElapsedTime(0, wait),
            GC.GetTotalPauseDuration() - pausedBefore, GC.CollectionCount(2) - gen2Before);
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
            histogram.RecordValue(Stopwatch.GetTimestamp() - start);
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
