using Engine.Actors.Features;
using Engine.Models.Features;
using Engine.Testing.Features;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>The feature flushes' own connection: that flushes use it, and that its gate never stays shut.</summary>
public class FlushConnectionTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Flushes_go_through_their_own_connection(RedisKind kind)
    {
        using var main = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(redis.Endpoint(kind)));
        using var flushes = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(redis.Endpoint(kind)));
        var store = StoreFactory.Create(main, "own-connection", flushes: flushes);
        var writeBehind = new FeatureWriteBehind(store, new FeatureMetrics(), StoreFactory.Topic);
        var events = Enumerable.Range(0, 10).Select(i => (StoreFactory.View(i), new EventPosition(0, i))).ToList();
        await writeBehind.ApplyAsync(events);

        // Loads used the main connection; with it closed, only a flush that goes through its own can succeed.
        await main.CloseAsync();
        var result = await writeBehind.FlushAsync();

        Assert.True(result.Acknowledged, result.Error);
        var reader = new FeatureStore(flushes, store.Options, new FeatureMetrics());
        var loaded = await reader.LoadUserAsync("u1");
        Assert.Equal(9, loaded.Offsets.Covered[0]);
        Assert.Equal([10f], FeatureAssert.Read(UserFeatures.Schema(["product_view_1h"]), loaded, loaded.LastEventMs));
    }

    [Fact]
    public async Task A_send_that_throws_leaves_the_gate_open_and_concurrent_sends_all_complete()
    {
        var connection = new FlushConnection(redis.Connect(RedisKind.Garnet));

        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.Send<int>(() => throw new InvalidOperationException("refused")));
        var inside = 0;
        var most = 0;
        var sends = Enumerable.Range(0, 50).Select(i => Task.Run(() => connection.Send(async () =>
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            Thread.SpinWait(20_000); // long enough for an ungated send on another thread to overlap
            Interlocked.Decrement(ref inside);
            await Task.Yield();
            return i;
        })));
        // Bounded: a gate left shut by the throwing send would hang here rather than fail.
        var replies = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 50), replies.Order());
        Assert.Equal(1, most);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }
}
