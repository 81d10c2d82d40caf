using Engine.FaultTests.Harness;
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
        using var redis = new DurableRedis();
        await redis.StartAsync();
        await using var run = await FaultRun.StartAsync(redis.Endpoint, output);
        output.WriteLine($"stream: {total:N0} valid events (ENGINE_FAULT_STREAM_EVENTS) on redis-server at {redis.Endpoint}, bound {bound.TotalSeconds:N0} s");
        using var stop = new CancellationTokenSource(bound);
        var producing = run.ProduceAsync(StreamProducer.Valid(run.Events, 0, total), 5_000, stop.Token);

        await run.UntilAsync(() => run.Committed.Total >= total / 3, bound, () => $"a third consumed (now {run.Committed.Total:N0})", producing);
        redis.Kill();
        var killed = (Consumed: run.Node.UserCounters.Consumed, Flushes: run.Node.UserCounters.Flushes, Retries: run.Node.UserCounters.FlushRetries);
        await Task.Delay(TimeSpan.FromSeconds(5), stop.Token);
        var during = (Consumed: run.Node.UserCounters.Consumed, Flushes: run.Node.UserCounters.Flushes, Retries: run.Node.UserCounters.FlushRetries);
        await redis.StartAsync();
        output.WriteLine($"injected: redis-server killed (SIGKILL) at {killed.Consumed:N0} consumed, restarted 5 s later on the same port; while it was away: " +
                         $"{during.Consumed - killed.Consumed:N0} more records counted consumed, {during.Flushes - killed.Flushes:N0} flushes acknowledged, " +
                         $"{during.Retries - killed.Retries:N0} flush retries");

        await run.WaitCommittedAsync(total, bound, producing);
        Assert.Equal(0, during.Flushes - killed.Flushes);
        Assert.True(during.Retries > killed.Retries, "no flush was retried while Redis was away: the fault did not reach the engine");
        await run.AssertNothingLostAsync();
    }
}
