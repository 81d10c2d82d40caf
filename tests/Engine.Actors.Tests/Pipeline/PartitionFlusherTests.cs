using Engine.Actors.Features;
using Engine.Actors.Pipeline;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>A partition's flushes run one at a time, in order; what arrives meanwhile goes in the next one; a failure stops the rest.</summary>
public sealed class PartitionFlusherTests
{
    private static PendingFlush Batch(long offset, string user, long dueAt, int events = 1) =>
        new(0, offset, new List<EntityWrite>(), new List<ItemEvent>(), new Dictionary<string, long> { [user] = dueAt }, dueAt, events);

    private static int Count<T>(List<T> list)
    {
        lock (list) return list.Count;
    }

    /// <summary>The flush runs on the thread pool: wait until it has taken the first batch.</summary>
    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    [Fact]
    public async Task Batches_that_arrive_during_a_flush_are_merged_into_the_next_one_in_order()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushed = new List<(long Offset, int Events, Dictionary<string, long> Due)>();
        var flusher = new PartitionFlusher(async batch =>
        {
            lock (flushed) flushed.Add((batch.Offset, batch.Events, new Dictionary<string, long>(batch.Due)));
            if (batch.Offset == 1) await gate.Task;
        }, maxUndurable: 100, TimeSpan.Zero);

        var first = flusher.Enqueue(Batch(1, "a", 10));
        await Until(() => Count(flushed) == 1);
        var later = new[] { flusher.Enqueue(Batch(2, "b", 20)), flusher.Enqueue(Batch(3, "a", 30)), flusher.Enqueue(Batch(4, "b", 15)) };
        await Task.Delay(50);
        Assert.False(first.IsCompleted);
        Assert.All(later, t => Assert.False(t.IsCompleted));
        gate.SetResult();
        await Task.WhenAll(later.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, flushed.Count);
        Assert.Equal((1L, 1), (flushed[0].Offset, flushed[0].Events));
        Assert.Equal((4L, 3), (flushed[1].Offset, flushed[1].Events));
        // Each user's latest due time wins, whichever batch it came in.
        Assert.Equal(30, flushed[1].Due["a"]);
        Assert.Equal(20, flushed[1].Due["b"]);
    }

    [Fact]
    public async Task A_failed_flush_fails_every_later_batch_and_writes_none_of_them()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var offsets = new List<long>();
        var flusher = new PartitionFlusher(async batch =>
        {
            lock (offsets) offsets.Add(batch.Offset);
            await gate.Task;
            throw new InvalidOperationException("redis gave up");
        }, maxUndurable: 100, TimeSpan.Zero);

        var first = flusher.Enqueue(Batch(1, "a", 10));
        await Until(() => Count(offsets) == 1);
        var queued = flusher.Enqueue(Batch(2, "a", 20));
        gate.SetResult();
        await Assert.ThrowsAsync<InvalidOperationException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => queued.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => flusher.Enqueue(Batch(3, "a", 30)));
        Assert.Equal([1L], offsets);
    }

    [Fact]
    public async Task Past_the_bound_of_events_waiting_for_Redis_the_partition_waits_for_room()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flusher = new PartitionFlusher(_ => gate.Task, maxUndurable: 10, TimeSpan.Zero);

        Assert.True(flusher.RoomAsync().IsCompleted);
        var flushed = flusher.Enqueue(Batch(1, "a", 10, events: 10));
        var room = flusher.RoomAsync();
        await Task.Delay(50);
        Assert.False(room.IsCompleted);
        gate.SetResult();
        await flushed.WaitAsync(TimeSpan.FromSeconds(10));
        await room.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
