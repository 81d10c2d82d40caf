using Engine.Actors.Pipeline;
using Engine.Actors.Telemetry;
using HdrHistogram;

namespace Engine.Actors.Tests.Pipeline;

public sealed class PipelineHopsTests
{
    [Fact]
    public void An_event_older_than_the_histograms_hold_is_recorded_at_their_top_not_thrown()
    {
        // A record stamped 60 days ago (a new group reading a long retention from its start): before 2026-12-06 the histogram
        // threw, the stream failed, and failed again at every restart on the same record.
        var now = DateTime.UtcNow;
        var old = now.AddDays(-60);
        var hops = new PipelineHops();
        hops.Produced([new EventStamps(old, now, now, now)], now, now);
        hops.Durable([new EventStamps(old, now, now, now)], now, now);
        var counters = new DecisionCounters();
        PipelineInstruments.RecordLatency(counters, now - old);

        Assert.Equal(1, counters.LatencyMicros.TotalCount);
        Assert.True(counters.LatencyMicros.GetValueAtPercentile(100) >= (long)TimeSpan.FromDays(40).TotalMicroseconds);
        Assert.Equal(1, hops[Hop.KafkaToDurable].TotalCount);
    }
}
