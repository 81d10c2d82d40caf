using Engine.Actors.Features;
using Engine.Models.Features.State;
using Engine.Testing.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>A partition's writers fenced by their claims, on Garnet and on redis-server.</summary>
public sealed class PartitionClaimTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static FeatureBatch Write(string user, long offset, long generation)
    {
        var changes = new EntityChanges { RenewTtl = true };
        changes.Add("last_event", 1_000L);
        return new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = offset }, [new EntityWrite(EntityKind.User, user, changes)])
            { Generation = generation };
    }

    /// <summary>
    /// The previous owner flushed up to offset 10; the partition moved and the new owner claimed it, and the user was
    /// erased. The previous owner's flush of offset 10 comes again (a retry after a lost reply, once its connection came
    /// back). Compared by offset alone it was equal, so allowed, and it brought the erased user's features back.
    /// </summary>
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_previous_owners_late_flush_at_the_stored_offset_cannot_bring_back_an_erased_user(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, "claim");
        var userKey = store.Keys.Entity(EntityKind.User, "u1");
        var previous = await store.ClaimPartitionAsync(StoreFactory.Topic, 0);
        Assert.Equal(new PartitionClaim(-1, 1), previous);
        Assert.True((await store.FlushAsync(Write("u1", 10, previous.Generation))).Acknowledged);

        var next = await store.ClaimPartitionAsync(StoreFactory.Topic, 0);
        await connection.GetDatabase().KeyDeleteAsync(userKey); // erased
        var late = await store.FlushAsync(Write("u1", 10, previous.Generation));

        Assert.Equal(new PartitionClaim(10, 2), next);
        Assert.True(late.Superseded);
        Assert.False(await connection.GetDatabase().KeyExistsAsync(userKey));
        // The new owner's own flushes land, from the stored offset on.
        Assert.True((await store.FlushAsync(Write("u2", 10, next.Generation))).Acknowledged);
        Assert.True((await store.FlushAsync(Write("u2", 12, next.Generation))).Acknowledged);
        Assert.True((await store.FlushAsync(Write("u1", 11, previous.Generation))).Superseded); // ahead by offset, behind by claim
        Assert.Equal(12, (await store.PartitionOffsetsAsync(StoreFactory.Topic, [0]))[0]);
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task Claims_made_at_once_get_generations_of_their_own(RedisKind kind)
    {
        var store = StoreFactory.Create(redis.Connect(kind), "claims-race");
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.ClaimPartitionAsync(StoreFactory.Topic, 3)));
        Assert.Equal(Enumerable.Range(1, 8).Select(g => (long)g), claims.Select(c => c.Generation).Order());
    }
}
