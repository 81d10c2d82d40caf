using Engine.Actors.Features;

namespace Engine.Actors.Pipeline;

/// <summary>
/// What one batch (or several, merged) of a partition makes durable: its entities' changes, its item events (applied to
/// the partition's item slices at flush time), the highest offset they reflect, and who becomes due a churn check when.
/// Writes are absolute values in event order, so merging appends.
/// </summary>
internal sealed class PendingFlush(int partition, long offset, List<EntityWrite> writes, List<ItemEvent> itemEvents, Dictionary<string, long> due, long latestEventMs, int events)
{
    public int Partition { get; } = partition;
    public long Offset { get; private set; } = offset;
    public List<EntityWrite> Writes { get; } = writes;
    public List<ItemEvent> ItemEvents { get; } = itemEvents;
    public Dictionary<string, long> Due { get; } = due;
    public long LatestEventMs { get; private set; } = latestEventMs;
    public int Events { get; private set; } = events;

    /// <summary>Takes a later batch of the same partition in: its writes after these, the later offset, the later due times.</summary>
    public void Absorb(PendingFlush later)
    {
        Writes.AddRange(later.Writes);
        ItemEvents.AddRange(later.ItemEvents);
        foreach (var (user, at) in later.Due) Due[user] = Math.Max(Due.GetValueOrDefault(user, long.MinValue), at);
        (Offset, LatestEventMs, Events) = (Math.Max(Offset, later.Offset), Math.Max(LatestEventMs, later.LatestEventMs), Events + later.Events);
    }
}

/// <summary>
/// Flushes one partition's batches to Redis one at a time, in order, off the decisions' path: while a flush is in
/// flight the batches that arrive are merged into the next one, so the flush stays batched under load while a lone
/// event is flushed at once. Flushes start at most once per <c>interval</c>: each costs Redis a transaction (and, with
/// the embedded Garnet, this process's cores), and only commits wait for it. A batch's task completes when a flush
/// covering it is acknowledged. A failed flush fails every later batch too (a later offset must never be written past
/// a lost write). At most <c>maxUndurable</c> events wait for Redis: past it <see cref="RoomAsync"/> holds the
/// partition back (e.g. while Redis is away).
/// </summary>
internal sealed class PartitionFlusher(Func<PendingFlush, Task> flush, int maxUndurable, TimeSpan interval)
{
    private long _lastStart = System.Diagnostics.Stopwatch.GetTimestamp() - (long)(interval.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private readonly Lock _gate = new();
    private PendingFlush? _next;
    private TaskCompletionSource? _nextDone, _room;
    private Exception? _failure;
    private bool _flushing;
    private int _undurable;

    /// <summary>Completes at once while fewer than <c>maxUndurable</c> events wait for Redis; else when a flush makes room.</summary>
    public Task RoomAsync()
    {
        lock (_gate)
        {
            if (_undurable < maxUndurable || _failure is not null) return Task.CompletedTask;
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Queues a batch; the task completes once Redis acknowledged it (or faults if its flush failed).</summary>
    public Task Enqueue(PendingFlush batch)
    {
        bool start;
        Task done;
        lock (_gate)
        {
            if (_failure is not null) return Task.FromException(_failure);
            if (_next is null) _next = batch;
            else _next.Absorb(batch);
            _nextDone ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done = _nextDone.Task;
            _undurable += batch.Events;
            start = !_flushing;
            _flushing = true;
        }
        // Off the stream's thread: building and sending the transaction is not the decisions' business.
        if (start) _ = Task.Run(FlushQueuedAsync);
        return done;
    }

    private async Task FlushQueuedAsync()
    {
        while (true)
        {
            var wait = interval - System.Diagnostics.Stopwatch.GetElapsedTime(_lastStart);
            if (wait > TimeSpan.Zero) await Task.Delay(wait).ConfigureAwait(false);
            _lastStart = System.Diagnostics.Stopwatch.GetTimestamp();
            PendingFlush batch;
            TaskCompletionSource done;
            lock (_gate)
            {
                if (_next is null)
                {
                    _flushing = false;
                    return;
                }
                (batch, done, _next, _nextDone) = (_next, _nextDone!, null, null);
            }
            Exception? failure = null;
            try
            {
                await flush(batch).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = e;
            }
            TaskCompletionSource? room = null;
            lock (_gate)
            {
                _undurable -= batch.Events;
                _failure ??= failure;
                if (_undurable < maxUndurable || _failure is not null) (room, _room) = (_room, null);
            }
            room?.TrySetResult();
            if (failure is null) done.TrySetResult();
            else
            {
                done.TrySetException(failure);
                FailQueued(failure);
                return;
            }
        }
    }

    private void FailQueued(Exception failure)
    {
        TaskCompletionSource? queued;
        lock (_gate)
        {
            (queued, _next, _nextDone, _flushing) = (_nextDone, null, null, false);
        }
        queued?.TrySetException(failure);
    }
}
