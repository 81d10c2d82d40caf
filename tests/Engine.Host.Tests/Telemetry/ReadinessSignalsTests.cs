using Engine.Host.Telemetry;

namespace Engine.Host.Tests.Telemetry;

/// <summary>What readiness follows beyond the servers answering: flushes landing, pipelines not restarting in a loop.</summary>
public sealed class ReadinessSignalsTests
{
    private static readonly DateTime T0 = new(2026, 12, 6, 3, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Flushes_that_fail_without_one_landing_stop_moving_and_landing_or_idle_flushes_move()
    {
        var r = NodeReadings.None.WithFlushes(10, 0, T0);
        Assert.Equal(T0, r.FlushesMovingUtc);
        // Redis refusing writes while it answers PING: the streams give flushes up and retry, none lands.
        r = r.WithFlushes(10, 2, T0.AddSeconds(2)).WithFlushes(10, 5, T0.AddSeconds(20));
        Assert.Equal(T0, r.FlushesMovingUtc); // 20 s without progress: /readyz says not ready
        r = r.WithFlushes(11, 6, T0.AddSeconds(22)); // one landed
        Assert.Equal(T0.AddSeconds(22), r.FlushesMovingUtc);
        r = r.WithFlushes(11, 6, T0.AddSeconds(60)); // idle: nothing failing
        Assert.Equal(T0.AddSeconds(60), r.FlushesMovingUtc);
    }

    [Fact]
    public void Two_restarts_within_five_minutes_are_a_loop_and_older_ones_are_forgotten()
    {
        var history = new RestartHistory();
        history.Add(T0, 0);
        history.Add(T0.AddSeconds(40), 1);
        Assert.Equal(1, history.Within(NodeMonitor.RestartLoopWindow, T0.AddSeconds(40)));
        history.Add(T0.AddSeconds(80), 2); // a run that lived 40 s, longer than the quiet period: still a loop
        Assert.True(history.Within(NodeMonitor.RestartLoopWindow, T0.AddSeconds(80)) >= NodeMonitor.RestartLoop);
        history.Add(T0.AddMinutes(10), 2); // quiet since
        Assert.Equal(0, history.Within(NodeMonitor.RestartLoopWindow, T0.AddMinutes(10)));
    }
}
