using Engine.Actors.Pipeline;

namespace Engine.Actors.Tests.Pipeline;

public sealed class PartitionFencesTests
{
    [Fact]
    public async Task A_partitions_next_writer_waits_for_the_previous_one_to_be_released_and_other_partitions_do_not()
    {
        var fences = new PartitionFences();
        var (first, second) = (new TaskCompletionSource(), new TaskCompletionSource());
        Assert.True(fences.Enter(3, first.Task).IsCompleted, "the partition's first writer waits for nothing");
        var waits = fences.Enter(3, second.Task);
        Assert.True(fences.Enter(4, new TaskCompletionSource().Task).IsCompleted, "another partition's writer is not held");

        Assert.False(waits.IsCompleted);
        first.SetResult();
        Assert.True(waits.IsCompleted);
        var third = fences.Enter(3, Task.CompletedTask);
        Assert.False(third.IsCompleted, "the third writer waits for the second");
        second.SetResult();
        await third.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_writer_that_ended_while_it_waited_passes_its_predecessors_fence_on()
    {
        var fences = new PartitionFences();
        var flushing = new TaskCompletionSource(); // the first writer's last flush, stuck on a slow Redis
        Assert.True(fences.Enter(0, flushing.Task).IsCompleted);
        // The second writer's run fails before it could read: it ends at once, having flushed nothing.
        Assert.False(fences.Enter(0, Task.CompletedTask).IsCompleted);
        var third = fences.Enter(0, new TaskCompletionSource().Task);
        Assert.False(third.IsCompleted, "the third writer must wait for the first one's flush too");
        flushing.SetResult();
        await third.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
