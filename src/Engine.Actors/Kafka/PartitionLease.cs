using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// One assignment of one partition to one consumer, from assignment to revocation. Offsets carry their lease,
/// so a commit of an offset read under an older assignment is recognised as stale and never sent.
/// Written by the poll thread, except <see cref="Buffered"/> (decremented by the stage) and <see cref="LastEmitted"/>.
/// </summary>
internal sealed class PartitionLease(TopicPartition partition, HandOffQueue<CommittableMessage> queue, ConsumerWorker owner)
{
    private long _buffered;
    private long _lastEmitted = -1;
    private volatile bool _revoking;
    private volatile bool _revoked;

    public TopicPartition Partition { get; } = partition;

    /// <summary>The consumer that read under this lease; only it may commit the offsets.</summary>
    public ConsumerWorker Owner { get; } = owner;

    /// <summary>Where this partition's messages go: the one source's queue, or this partition's own sub-source.</summary>
    public HandOffQueue<CommittableMessage> Queue { get; } = queue;

    /// <summary>Fetched and handed to the stream, not yet emitted downstream.</summary>
    public long Buffered => Interlocked.Read(ref _buffered);
    public long AddBuffered() => Interlocked.Increment(ref _buffered);
    public void TakeBuffered() => Interlocked.Decrement(ref _buffered);

    /// <summary>Offset of the last message emitted downstream (-1: none yet).</summary>
    public long LastEmitted => Interlocked.Read(ref _lastEmitted);
    public void Emitted(long offset) => Interlocked.Exchange(ref _lastEmitted, offset);

    /// <summary>Next offset to read as committed by us (-1: nothing committed under this lease).</summary>
    public long Committed { get; set; } = -1;

    /// <summary>Paused by the poll thread because the stream fell behind.</summary>
    public bool Paused { get; set; }

    /// <summary>Revocation began: messages not yet emitted are dropped (the next owner reads them again).</summary>
    public bool Revoking => _revoking;
    public void BeginRevoke() => _revoking = true;

    /// <summary>Revocation done: this lease's offsets are stale.</summary>
    public bool Revoked => _revoked;
    public void EndRevoke()
    {
        _revoking = true;
        _revoked = true;
    }

    /// <summary>Emitted messages whose offsets have not been committed yet.</summary>
    public bool HasUncommittedEmitted => LastEmitted >= 0 && LastEmitted + 1 > Committed;
}
