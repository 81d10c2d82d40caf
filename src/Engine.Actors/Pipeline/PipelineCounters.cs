namespace Engine.Actors.Pipeline;

/// <summary>Live counts of the ingest pipeline, for the console view, the summary and tests. Thread-safe.</summary>
public sealed class PipelineCounters
{
    private long _consumed, _applied, _deadLettered, _flushes, _flushRetries, _campaignEventsForwarded, _recentLatencyTicks;

    public long Consumed => Interlocked.Read(ref _consumed);
    public long Applied => Interlocked.Read(ref _applied);
    public long DeadLettered => Interlocked.Read(ref _deadLettered);
    public long Flushes => Interlocked.Read(ref _flushes);
    public long FlushRetries => Interlocked.Read(ref _flushRetries);
    /// <summary>Events re-keyed to the campaign-events topic for the campaign actors.</summary>
    public long CampaignEventsForwarded => Interlocked.Read(ref _campaignEventsForwarded);

    /// <summary>
    /// The longest event-to-decision latency in the latest batch whose decisions Kafka acknowledged: how far behind its
    /// input the stream is now (zero before the first).
    /// </summary>
    public TimeSpan RecentLatency => TimeSpan.FromTicks(Interlocked.Read(ref _recentLatencyTicks));

    internal void LatestBatchLatency(TimeSpan longest) => Interlocked.Exchange(ref _recentLatencyTicks, longest.Ticks);
    internal void AddConsumed(int n) => Interlocked.Add(ref _consumed, n);
    internal void AddApplied(int n) => Interlocked.Add(ref _applied, n);
    internal void AddDeadLettered(int n) => Interlocked.Add(ref _deadLettered, n);
    internal void FlushAcknowledged() => Interlocked.Increment(ref _flushes);
    internal void FlushRetried() => Interlocked.Increment(ref _flushRetries);
    internal void CampaignEventForwarded() => Interlocked.Increment(ref _campaignEventsForwarded);
}
