using Confluent.Kafka;
using Engine.Actors.Privacy;

namespace Engine.Actors.Tests.Privacy;

/// <summary>Which privacy requests may be committed past, and which wait for which.</summary>
public sealed class PrivacyRequestWindowTests
{
    private static readonly TopicPartition P0 = new("engine.privacy", 0);
    private static readonly TopicPartition P1 = new("engine.privacy", 1);

    private static TopicPartitionOffset At(TopicPartition partition, long offset) => new(partition, offset);

    [Fact]
    public void A_partition_is_committed_only_past_its_earliest_requests_that_are_done()
    {
        var window = new PrivacyRequestWindow();
        var first = new TaskCompletionSource<bool>();
        var tasks = new[] { window.Start(At(P0, 5), "u-1", () => first.Task), window.Start(At(P0, 6), "u-2", () => Task.FromResult(true)),
            window.Start(At(P1, 9), "u-3", () => Task.FromResult(true)) };
        window.Ended(At(P0, 6), "u-2", tasks[1], done: true);
        window.Ended(At(P1, 9), "u-3", tasks[2], done: true);

        Assert.Equal([At(P1, 10)], window.TakeCommittable()); // P0's offset 5 is not done: nothing of P0 yet
        Assert.Equal(1, window.InFlight);
        first.SetResult(true);
        window.Ended(At(P0, 5), "u-1", tasks[0], done: true);
        Assert.Equal([At(P0, 7)], window.TakeCommittable());
        Assert.Empty(window.TakeCommittable());
        Assert.Equal(0, window.InFlight);
    }

    [Fact]
    public async Task One_users_requests_run_one_after_another_and_other_users_do_not_wait()
    {
        var window = new PrivacyRequestWindow();
        var erasure = new TaskCompletionSource<bool>();
        var order = new List<string>();
        var erase = window.Start(At(P0, 0), "u-1", () => erasure.Task);
        var consentOfSameUser = window.Start(At(P0, 1), "u-1", () => { lock (order) order.Add("u-1 consent"); return Task.FromResult(true); });
        var consentOfOther = window.Start(At(P0, 2), "u-2", () => { lock (order) order.Add("u-2 consent"); return Task.FromResult(true); });

        await consentOfOther;
        Assert.False(consentOfSameUser.IsCompleted); // waits for u-1's erasure
        erasure.SetResult(true);
        await consentOfSameUser;
        Assert.Equal(["u-2 consent", "u-1 consent"], order);
        Assert.True(await erase);
    }

    [Fact]
    public void A_revoked_partitions_requests_are_forgotten_and_a_request_given_up_is_never_committed_past()
    {
        var window = new PrivacyRequestWindow();
        var stuck = window.Start(At(P0, 3), "u-1", () => new TaskCompletionSource<bool>().Task);
        var gaveUp = window.Start(At(P1, 0), "u-2", () => Task.FromResult(false));
        window.Forget([P0]);
        Assert.Equal(1, window.InFlight);
        window.Ended(At(P0, 3), "u-1", stuck, done: true); // ends after the partition left: ignored
        window.Ended(At(P1, 0), "u-2", gaveUp, done: false);
        Assert.Equal(0, window.InFlight);
        Assert.Empty(window.TakeCommittable());

        // A request given up is a barrier: a done request after it is not committed past it (whoever reads next redoes both).
        var waiting = window.Start(At(P1, 1), "u-3", () => new TaskCompletionSource<bool>().Task);
        var after = window.Start(At(P1, 2), "u-4", () => Task.FromResult(true));
        window.Ended(At(P1, 2), "u-4", after, done: true);
        window.Ended(At(P1, 1), "u-3", waiting, done: false);
        Assert.Empty(window.TakeCommittable());

        // The same offset read again (the partition came back) is a new request: the old task's end does not count for it.
        var again = window.Start(At(P0, 3), "u-1", () => Task.FromResult(true));
        window.Ended(At(P0, 3), "u-1", stuck, done: true);
        Assert.Equal(1, window.InFlight);
        window.Ended(At(P0, 3), "u-1", again, done: true);
        Assert.Equal([At(P0, 4)], window.TakeCommittable());
    }
}
