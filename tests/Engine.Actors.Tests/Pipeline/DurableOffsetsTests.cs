using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Models.Features;

namespace Engine.Actors.Tests.Pipeline;

public sealed class DurableOffsetsTests
{
    [Fact]
    public void An_entity_may_stop_only_once_its_partition_is_durable_up_to_its_last_answer()
    {
        var durable = new DurableOffsets();
        var idle = new IdlePassivation(TimeSpan.FromMinutes(2), durable);

        Assert.True(idle.MayStop(null)); // answered nothing since it started: nothing of its own waits for Redis
        Assert.False(idle.MayStop(new EventPosition(3, 0)));
        durable.Advance(3, 10);
        Assert.True(idle.MayStop(new EventPosition(3, 10)));
        Assert.False(idle.MayStop(new EventPosition(3, 11)));
        Assert.False(idle.MayStop(new EventPosition(4, 0))); // partitions are independent
        durable.Advance(3, 5); // a late acknowledgement of an earlier flush never moves it back
        Assert.True(idle.MayStop(new EventPosition(3, 10)));
    }
}
