using Engine.Host.Telemetry;
using HdrHistogram;

namespace Engine.Host.Tests.Telemetry;

public class RecentLatencyTests
{
    [Fact]
    public void The_percentiles_cover_the_last_samples_only_so_a_slow_start_fades_and_a_stall_shows_then_passes()
    {
        var cumulative = new LongConcurrentHistogram(1, TimeStamp.Hours(1), 3);
        var recent = new RecentLatency(cumulative, window: 3);
        void Record(int count, long micros) { for (var i = 0; i < count; i++) cumulative.RecordValue(micros); }

        Record(1_000, 500_000); // a slow start: 500 ms each, before the page opened
        Assert.Equal((null, null, 0), recent.Sample()); // the first sample covers nothing
        var fast = new List<(double? P50Ms, double? P99Ms, long Count)>();
        for (var second = 0; second < 3; second++)
        {
            Record(100, 2_000);
            fast.Add(recent.Sample());
        }
        Record(100, 400_000); // a stall
        var stalled = recent.Sample();
        var after = new List<(double? P50Ms, double? P99Ms, long Count)>();
        for (var second = 0; second < 3; second++)
        {
            Record(100, 2_000);
            after.Add(recent.Sample());
        }

        Assert.Equal([100, 200, 300], fast.Select(s => s.Count));
        Assert.All(fast, s => Assert.Equal(2.0, s.P99Ms)); // since start, the p99 would be 500 ms
        Assert.Equal((2.0, 400.1, 300L), stalled); // the window: two fast seconds and the stall (400 ms at 3 digits)
        Assert.Equal([400.1, 400.1, 2.0], after.Select(s => s.P99Ms)); // the stall leaves the window after three samples
        Assert.InRange(cumulative.GetValueAtPercentile(99), 499_000, 501_000); // the cumulative histogram is left as it was
    }

    [Fact]
    public void A_window_without_any_decision_has_no_percentiles_rather_than_a_perfect_zero()
    {
        var cumulative = new LongConcurrentHistogram(1, TimeStamp.Hours(1), 3);
        var recent = new RecentLatency(cumulative, window: 2);
        recent.Sample();
        cumulative.RecordValue(3_000);
        var busy = recent.Sample();
        recent.Sample(); // the engine stalls: nothing acknowledged
        var stalled = recent.Sample();

        Assert.Equal((3.0, 3.0, 1L), busy);
        Assert.Equal((null, null, 0L), stalled); // before 2026-12-07: (0, 0, 0), "0 / 0 ms" on the page during an outage
    }
}
