using Engine.Host.Telemetry;

namespace Engine.Host.Tests.Telemetry;

/// <summary>What readiness follows beyond the servers answering: flushes landing, pipelines not restarting in a loop.</summary>
public sealed class ReadinessSignalsTests
{
    private static readonly DateTime T0 = new(2026, 12, 6, 3, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Flushes_that_keep_failing_without_one_landing_are_not_landing_whatever_the_pace_of_the_readings()
    {
        var stale = TimeSpan.FromSeconds(15);
        var r = NodeReadings.None.WithFlushes(10, 0, T0);
        Assert.True(r.FlushesLanding(T0, stale));
        // One partition's flushes refused (Redis answering PING, refusing writes): a retry every 2.8 s, read every 2.05 s.
        var retries = 0;
        for (var t = 2.05; t <= 30; t += 2.05)
        {
            retries = (int)(t / 2.8);
            r = r.WithFlushes(10, retries, T0.AddSeconds(t));
        }
        Assert.False(r.FlushesLanding(T0.AddSeconds(30), stale));
        r = r.WithFlushes(11, retries, T0.AddSeconds(31)); // one landed
        Assert.True(r.FlushesLanding(T0.AddSeconds(31), stale));
        r = r.WithFlushes(11, retries, T0.AddSeconds(90)); // idle: nothing failing
        Assert.True(r.FlushesLanding(T0.AddSeconds(90), stale));
    }

    /// <summary>
    /// A node quiet for a minute (a night with no traffic) whose next flush is retried once: readiness waits for 15 s of
    /// failing, as on a busy node. Before 2026-12-07 it counted from the last flush that landed, a minute earlier, and the
    /// first retry turned /readyz to 503 at once (a review).
    /// </summary>
    [Fact]
    public void After_a_quiet_minute_one_retried_flush_is_not_yet_a_flush_failing()
    {
        var stale = TimeSpan.FromSeconds(15);
        var r = NodeReadings.None.WithFlushes(10, 0, T0).WithFlushes(10, 0, T0.AddSeconds(60));
        r = r.WithFlushes(10, 1, T0.AddSeconds(62));
        Assert.True(r.FlushesLanding(T0.AddSeconds(62), stale));
        r = r.WithFlushes(10, 3, T0.AddSeconds(70));
        Assert.True(r.FlushesLanding(T0.AddSeconds(70), stale)); // failing for 8 s
        r = r.WithFlushes(10, 5, T0.AddSeconds(78));
        Assert.False(r.FlushesLanding(T0.AddSeconds(78), stale)); // failing for 16 s, none landed
    }

    /// <summary>The live page says what fails: before 2026-12-07 it said "starting" for any node not ready, Redis down for hours included.</summary>
    [Fact]
    public void A_node_not_ready_says_what_is_failing()
    {
        Assert.Equal("ready", new Readiness(true, true, true).Describe());
        Assert.Equal("starting", new Readiness(false, null, null, Starting: true).Describe());
        Assert.Equal("not ready: redis not answering", new Readiness(true, false, true).Describe());
        Assert.Equal("not ready: kafka not probed yet, feature flushes failing, kafka not acknowledging sends",
            new Readiness(true, true, null, FlushesLanding: false, KafkaAcknowledging: false).Describe());
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

    [Fact]
    public void A_record_kafka_has_not_acknowledged_for_long_makes_the_node_not_ready()
    {
        Assert.False(new Readiness(true, true, true, KafkaAcknowledging: false).Ready);
        Assert.True(new Readiness(true, true, true).Ready);
        var watch = new Engine.Actors.Kafka.DeliveryWatch();
        var sentAt = System.Diagnostics.Stopwatch.GetTimestamp() - (long)(NodeMonitor.Unacknowledged.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        using (watch.Watch(() => sentAt))
        using (watch.Watch(() => null))
            Assert.True(watch.OldestWaiting() >= NodeMonitor.Unacknowledged);
        Assert.Equal(TimeSpan.Zero, watch.OldestWaiting()); // unwatched with its producer's end
    }

    [Fact]
    public async Task A_node_still_starting_says_so_and_blames_neither_Redis_nor_Kafka()
    {
        var lag = new ConsumerLagProbe("127.0.0.1:1", new Dictionary<string, string>(), [("engine", "engine.clickstream")]);
        await using var monitor = new NodeMonitor(lag, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance); // disposes the probe
        using var meters = new EngineMeters(monitor);
        var ages = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EngineMeters.MeterName && instrument.Name.EndsWith(".answer_age", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => ages.Add(instrument.Name));
        listener.Start();
        listener.RecordObservableInstruments();

        // Joining its cluster or reading the campaigns (minutes, at worst): nothing was probed, so nothing is known to be down.
        var readiness = monitor.Readiness();
        Assert.True(readiness.Starting);
        Assert.Null(readiness.RedisReachable);
        Assert.Null(readiness.KafkaReachable);
        Assert.False(readiness.Ready);
        Assert.Empty(ages);
        Assert.Contains("\"starting\":true", System.Text.Json.JsonSerializer.Serialize(readiness, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));
    }

    [Fact]
    public void Readiness_needs_both_servers_known_to_answer()
    {
        Assert.True(new Readiness(true, true, true).Ready);
        Assert.False(new Readiness(true, null, true).Ready);
        Assert.False(new Readiness(true, true, false).Ready);
        Assert.False(new Readiness(true, true, true, Starting: true).Ready);
    }
}
