using Engine.Actors.Features;
using Engine.Models.Features.State;
using Engine.Testing.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>A flush told to give up (its partition revoked) at each point of its exchange, on Garnet and on redis-server.</summary>
public sealed class FlushGiveUpTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static FeatureBatch Write(string user, long offset)
    {
        var changes = new EntityChanges { RenewTtl = true };
        changes.Add("last_event", 1_000L);
        return new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = offset }, [new EntityWrite(EntityKind.User, user, changes)]);
    }

    /// <param name="trueFromCall">The give-up check's call that first answers true: 1 before the attempt, 2 once it holds the
    /// flush connection, 3 after the offsets were read under WATCH, before MULTI.</param>
    [Theory]
    [InlineData(RedisKind.Garnet, 1)]
    [InlineData(RedisKind.Garnet, 2)]
    [InlineData(RedisKind.Garnet, 3)]
    [InlineData(RedisKind.RedisServer, 3)]
    public async Task A_flush_that_gives_up_writes_nothing_and_leaves_no_watch_behind(RedisKind kind, int trueFromCall)
    {
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, "give-up");
        var calls = 0;

        var result = await store.FlushAsync(Write("u1", 10), giveUp: () => ++calls >= trueFromCall);

        Assert.True(result.GivenUp);
        Assert.Equal(0, result.Attempts);
        Assert.False(await connection.GetDatabase().KeyExistsAsync(store.Keys.Entity(EntityKind.User, "u1")));
        Assert.Empty(await store.PartitionOffsetsAsync(StoreFactory.Topic, [0]));
        // Another client moves the offset the abandoned exchange may have WATCHed: the next flush on the same connection
        // commits at once (an UNWATCH was sent; a stale WATCH would abort its EXEC as raced).
        await connection.GetDatabase().StringSetAsync(store.Keys.PartitionOffset(StoreFactory.Topic, 0), 5);
        var next = await store.FlushAsync(Write("u2", 11));
        Assert.True(next.Acknowledged, next.Error);
        Assert.Equal(1, next.Attempts);
    }
}
