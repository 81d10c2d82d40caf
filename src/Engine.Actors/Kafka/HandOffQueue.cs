using System.Collections.Concurrent;

namespace Engine.Actors.Kafka;

/// <summary>
/// Hands items from one producing thread (the poll thread) to one stage, waking the stage at most once per
/// burst: the stage arms the queue when it finds it empty, and only the first <see cref="Signal"/> after arming
/// calls back into the stream. Its size is bounded by the caller (partitions are paused), not here.
/// </summary>
internal sealed class HandOffQueue<T>
{
    private readonly ConcurrentQueue<T> _items = new();
    private Action? _wakeUp;
    private int _armed;
    private volatile bool _completed;
    private int _ended;

    public void Enqueue(T item) => _items.Enqueue(item);

    /// <summary>
    /// Marks the end: the stage stops emitting now (items left are dropped: nothing committed them). The first end holds: a
    /// failed consumer's close revokes its partitions, and that later, plain end must not turn the failure into one.
    /// The items are let go at once and the stage woken even when it has not armed (a stream that stopped pulling): before
    /// 2026-12-07 a revoked partition's fetched records stayed queued until a pull that never came, and each rebalance during
    /// a stall added another partition's worth under a new lease, whose bound started from zero (review).
    /// </summary>
    public void Complete(Exception? error = null)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1) return;
        Error = error;
        _completed = true;
        _items.Clear();
        Interlocked.Exchange(ref _armed, 0);
        Volatile.Read(ref _wakeUp)?.Invoke();
    }

    public bool IsCompleted => _completed;

    /// <summary>Set before completion when the consumer failed.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Called by the producer after a burst of <see cref="Enqueue"/>.</summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1) Volatile.Read(ref _wakeUp)?.Invoke();
    }

    // Stage side ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Registers the stage's async callback. Nothing is armed yet: the stage's first pull dequeues directly, and it
    /// arms the queue only when it finds it empty.
    /// </summary>
    public void Attach(Action wakeUp) => Volatile.Write(ref _wakeUp, wakeUp);

    public bool TryDequeue(out T item) => _items.TryDequeue(out item!);

    /// <summary>
    /// Asks for a wake-up on the next signal. Returns false if items (or completion) slipped in meanwhile, in which
    /// case the caller should just dequeue again (the queue is disarmed).
    /// </summary>
    public bool Arm()
    {
        // A full fence (not a plain volatile write): the check below must not be reordered before the arm,
        // or an item enqueued in between would be signalled to nobody.
        Interlocked.Exchange(ref _armed, 1);
        if (_items.IsEmpty && !_completed) return true;
        return Interlocked.Exchange(ref _armed, 0) == 0;
    }
}
