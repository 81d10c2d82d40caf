using Engine.FaultTests.Harness;
using Engine.Testing.Redis;
using Xunit.Abstractions;

namespace Engine.FaultTests;

/// <summary>
/// Redis killed and restarted mid-stream (a redis-server with an fsynced append-only file, so its acknowledged data
/// survives): the engine retries its flushes, holds back consuming and committing meanwhile, and loses nothing.
/// </summary>
public sealed class RedisRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Redis_restarted_mid_stream_is_retried_with_backpressure_and_nothing_is_lost()
    {
        var total = FaultScale.StreamEvents;
        var bound = TimeSpan.FromSeconds(90 + total / 500.0);
        using var redis = new RedisServerProcess(durable: true);
        await redis.StartAsync();
        // The client's default timeouts (5 s): the outage must reach the engine's own retries, not wait in the client's backlog.
        await using var run = await FaultRun.StartAsync(redis.Endpoint, output, redisTimeouts: "");
        output.WriteLine($"stream: {total:N0} valid events (ENGINE_FAULT_STREAM_EVENTS) on redis-server at {redis.Endpoint}, bound {bound.TotalSeconds:N0} s");
        using var stop = new CancellationTokenSource(bound);
        var producing = run.ProduceAsync(StreamProducer.Valid(run.Events, 0, total), 5_000, stop.Token);

        await run.UntilAsync(() => run.Committed.Total >= total / 3, bound, () => $"a third consumed (now {run.Committed.Total:N0})", producing);
        redis.Stop(); // SIGKILL: connections drop at once; what was fsynced survives
        await Task.Delay(500, stop.Token); // a flush answered just before the kill is counted before the baseline is read
        var killed = (Committed: run.Committed.Total, Flushes: run.Node.UserCounters.Flushes, Retries: run.Node.UserCounters.FlushRetries,
            Acknowledged: run.Producer.Acknowledged);
        await Task.Delay(TimeSpan.FromSeconds(4.5), stop.Token);
        var during = (Committed: run.Committed.Total, Flushes: run.Node.UserCounters.Flushes, Retries: run.Node.UserCounters.FlushRetries);
        var committedWhileAway = run.Committed.Now();
        await redis.StartAsync();
        // Nothing was committed past what Redis held (fsynced): an offset committed ahead of its features would be lost to a crash
        // now (since 2026-12-07; before, the test printed the commits during the outage but asserted none of them).
        var durable = await DurableOffsetsAsync(redis.Endpoint, committedWhileAway.Keys);
        output.WriteLine($"committed while Redis was away: {string.Join(", ", committedWhileAway.Select(c => $"p{c.Key} {c.Value:N0}"))}; " +
                         $"Redis held features up to: {string.Join(", ", durable.Select(d => $"p{d.Key} {d.Value:N0}"))}");
        Assert.All(committedWhileAway, c => Assert.True(c.Value <= durable[c.Key], $"partition {c.Key}: committed {c.Value:N0}, Redis held {durable[c.Key]:N0}"));
        output.WriteLine($"injected: redis-server killed (SIGKILL) after {killed.Flushes:N0} flushes, at {killed.Committed:N0} committed, restarted 5 s later on the same port; " +
                         $"while it was away: {during.Flushes - killed.Flushes:N0} flushes acknowledged, {during.Committed - killed.Committed:N0} more records committed " +
                         $"(what was already flushed), {during.Retries - killed.Retries:N0} flushes given up and retried by the stream");

        await run.WaitCommittedAsync(total, bound, producing);
        output.WriteLine($"after the restart: {run.Node.UserCounters.Flushes - during.Flushes:N0} more flushes acknowledged, " +
                         $"{run.Node.UserCounters.FlushRetries:N0} flushes retried by the stream in all");
        // The fault reached the engine: it was flushing before, had events in Kafka it had not committed when Redis went (so
        // it was not idle), acknowledged no flush (so committed nothing new) while Redis was away, and flushed again after.
        Assert.True(killed.Flushes > 0, "no flush before the fault");
        Assert.True(killed.Acknowledged > killed.Committed, $"no uncommitted event when Redis went away ({killed.Acknowledged:N0} produced, {killed.Committed:N0} committed)");
        Assert.Equal(0, during.Flushes - killed.Flushes);
        Assert.True(run.Node.UserCounters.Flushes > during.Flushes, "no flush after the restart");
        await run.AssertNothingLostAsync();
    }

    /// <summary>Per partition, the offset after the last one whose features Redis holds (the engine's partition offsets, default keys).</summary>
    private static async Task<Dictionary<int, long>> DurableOffsetsAsync(string endpoint, IEnumerable<int> partitions)
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(endpoint));
        var keys = new Engine.Actors.Features.FeatureKeys(new Engine.Actors.Features.FeatureStoreOptions().KeyPrefix);
        var durable = new Dictionary<int, long>();
        foreach (var p in partitions)
        {
            var key = keys.PartitionOffset(Engine.Models.Contracts.Topics.Clickstream, p);
            StackExchange.Redis.RedisValue stored;
            // Just restarted: it answers LOADING while it replays its append-only file.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    stored = await redis.GetDatabase().StringGetAsync(key);
                    break;
                }
                catch (StackExchange.Redis.RedisServerException e) when (e.Message.StartsWith("LOADING", StringComparison.Ordinal) && attempt < 300)
                {
                    await Task.Delay(100);
                }
            }
            durable[p] = stored.TryParse(out long last) ? last + 1 : 0;
        }
        return durable;
    }
}
