namespace Engine.Actors.Kafka;

/// <summary>Counters kept by a consumer's poll thread; read from anywhere.</summary>
public sealed class KafkaConsumerMetrics
{
    private long _consumed, _pauses, _resumes, _maxBuffered, _committed, _staleCommitsDropped, _commitRetries, _assignments;

    public long Consumed => Volatile.Read(ref _consumed);
    /// <summary>Times a partition was paused because the stream was not taking its messages fast enough.</summary>
    public long Pauses => Volatile.Read(ref _pauses);
    public long Resumes => Volatile.Read(ref _resumes);
    /// <summary>Highest number of fetched-but-not-emitted messages seen on one partition (never above the bound).</summary>
    public long MaxBufferedPerPartition => Volatile.Read(ref _maxBuffered);
    /// <summary>Offsets (partition positions) committed.</summary>
    public long CommittedOffsets => Volatile.Read(ref _committed);
    /// <summary>Commit requests for partitions this consumer no longer owned (revoked): ignored, never committed.</summary>
    public long StaleCommitsDropped => Volatile.Read(ref _staleCommitsDropped);
    /// <summary>Commits retried after failing with 'rebalance in progress'.</summary>
    public long CommitRetries => Volatile.Read(ref _commitRetries);
    /// <summary>Assignments this consumer was given (one per completed join of its group, rebalances included).</summary>
    public long Assignments => Volatile.Read(ref _assignments);

    internal void AddConsumed(int n) => Interlocked.Add(ref _consumed, n);
    internal void Paused() => Interlocked.Increment(ref _pauses);
    internal void Resumed() => Interlocked.Increment(ref _resumes);
    internal void AddCommitted(int n) => Interlocked.Add(ref _committed, n);
    internal void StaleDropped(int n) => Interlocked.Add(ref _staleCommitsDropped, n);
    internal void CommitRetried() => Interlocked.Increment(ref _commitRetries);
    internal void Assigned() => Interlocked.Increment(ref _assignments);

    internal void ObserveBuffered(long n)
    {
        // Only the poll thread writes, so a plain compare-and-store is enough.
        if (n > _maxBuffered) Volatile.Write(ref _maxBuffered, n);
    }

    public override string ToString() =>
        $"consumed={Consumed} pauses={Pauses} resumes={Resumes} maxBufferedPerPartition={MaxBufferedPerPartition} " +
        $"committedOffsets={CommittedOffsets} staleCommitsDropped={StaleCommitsDropped} commitRetries={CommitRetries} assignments={Assignments}";
}
