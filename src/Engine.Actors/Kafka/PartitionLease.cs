using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// One assignment of one partition to one consumer, from assignment to revocation. Offsets carry their lease,
/// so a commit of an offset read under an older assignment is recognised as stale and never sent.
/// Written by the poll thread, except <see cref="Buffered"/> (decremented by the stage) and <see cref="LastEmitted"/>.
/// </summary>
internal sealed class PartitionLease(TopicPartition partition, HandOffQueue<CommittableMessage[]> queue, ConsumerWorker owner)
{
    private long _buffered;
    private long _lastEmitted = -1;
    private readonly List<CommittableMessage> _pending = [];
    private volatile bool _revoking;
    private volatile bool _revoked;

    public TopicPartition Partition { get; } = partition;

    /// <summary>The consumer that read under this lease; only it may commit the offsets.</summary>
    public ConsumerWorker Owner { get; } = owner;

    /// <summary>Where this partition's messages go: the one source's queue, or this partition's own sub-source.</summary>
    public HandOffQueue<CommittableMessage[]> Queue { get; } = queue;

    /// <summary>
    /// Fetched and not yet emitted downstream: handed to the stream (released by the stage batch by batch) plus what
    /// the poll thread collected in this burst.
    /// </summary>
    public long Buffered => Interlocked.Read(ref _buffered) + _pending.Count;

    /// <summary>Poll thread: collect a message for the batch handed over at the end of the burst.</summary>
    public void Collect(CommittableMessage message) => _pending.Add(message);

    /// <summary>Poll thread: hand this burst's messages to the stream as one batch (one queue operation, one count update).</summary>
    public void Flush()
    {
        if (_pending.Count == 0) return;
        Interlocked.Add(ref _buffered, _pending.Count);
        Queue.Enqueue(_pending.ToArray());
        _pending.Clear();
        Queue.Signal();
    }

    /// <summary>Stage: a batch has been emitted (or dropped).</summary>
    public void Release(int count) => Interlocked.Add(ref _buffered, -count);

    /// <summary>Offset of the last message emitted downstream (-1: none yet). Single writer: the stage.</summary>
    public long LastEmitted => Volatile.Read(ref _lastEmitted);

    /// <summary>
    /// Stage: marks <paramref name="offset"/> emitted, unless revocation began (false: the message is dropped, and the next owner
    /// reads it). One lock with <see cref="BeginRevoke"/>: apart, the stage could read "not revoking" while the poll thread read
    /// the last emitted offset before this write (each thread's write still in its store buffer), and the drain then let the
    /// next owner start at an offset this one was about to emit (review, 2026-12-07: processed twice).
    /// </summary>
    public bool TryEmit(long offset)
    {
        lock (_emitGate)
        {
            if (_revoking) return false;
            Volatile.Write(ref _lastEmitted, offset);
            return true;
        }
    }

    private readonly object _emitGate = new();

    /// <summary>Next offset to read as committed by us (-1: nothing committed under this lease). Written by the commit lane, read by the poll thread.</summary>
    public long Committed
    {
        get => Volatile.Read(ref _committed);
        set => Volatile.Write(ref _committed, value);
    }
    private long _committed = -1;

    /// <summary>Paused by the poll thread because the stream fell behind.</summary>
    public bool Paused { get; set; }

    /// <summary>Revocation began: messages not yet emitted are dropped (the next owner reads them again).</summary>
    public bool Revoking => _revoking;
    public void BeginRevoke()
    {
        lock (_emitGate) _revoking = true;
    }

    /// <summary>Ended by the consumer's close (not a rebalance): a commit of it was left behind, and fails as not committed.</summary>
    public bool EndedByClose { get; set; }

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
