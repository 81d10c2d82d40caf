using Akka.Actor;
using Akka.Cluster;
using Engine.Actors.Features;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Sharding;

/// <summary>The sharding tests' arrange: the test's actor system as a one-node cluster, the users' shard region (one shard) over a redis-server of its own.</summary>
internal sealed record SingleNodeUsers(RedisServerProcess Redis, ConnectionMultiplexer Connection, FeatureStore Store, UserTestWorld World, IActorRef Users) : IDisposable
{
    public static async Task<SingleNodeUsers> StartAsync(Akka.TestKit.TestKitBase kit, string test, int maxAttempts = 5)
    {
        var redis = new RedisServerProcess();
        await redis.StartAsync();
        var connection = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(redis.Endpoint));
        var cluster = Cluster.Get(kit.Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        kit.AwaitCondition(() => cluster.State.Members.Any(m => m.Status == MemberStatus.Up), TimeSpan.FromSeconds(20));
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix(test), MaxAttempts = maxAttempts }, new FeatureMetrics());
        var world = new UserTestWorld();
        var users = EntityShards.Start(kit.Sys, EntityShards.Users, 1, id => UserActor.Props(id, store, world.Decider()));
        return new SingleNodeUsers(redis, connection, store, world, users);
    }

    public void Dispose()
    {
        World.Dispose();
        Connection.Dispose();
        Redis.Dispose();
    }
}
