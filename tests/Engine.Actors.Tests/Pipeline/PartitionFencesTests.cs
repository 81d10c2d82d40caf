using Engine.Actors.Pipeline;

namespace Engine.Actors.Tests.Pipeline;

public sealed class PartitionFencesTests
{
    [Fact]
    public void A_partitions_next_writer_waits_for_the_previous_one_to_be_released_and_other_partitions_do_not()
    {
        var fences = new PartitionFences();
        var (first, second) = (new TaskCompletionSource(), new TaskCompletionSource());
        Assert.True(fences.Enter(3, first.Task).IsCompleted, "the partition's first writer waits for nothing");
        var waits = fences.Enter(3, second.Task);
        Assert.True(fences.Enter(4, new TaskCompletionSource().Task).IsCompleted, "another partition's writer is not held");

        Assert.False(waits.IsCompleted);
        first.SetResult();
        Assert.True(waits.IsCompleted);
        Assert.Same(second.Task, fences.Enter(3, Task.CompletedTask));
    }
}
