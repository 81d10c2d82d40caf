using Akka.Cluster;
using Akka.Cluster.Sharding;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Akka.Actor;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Sharding;

/// <summary>A shard that moves (a rebalance, a graceful stop) while an entity loads its state (review, 2026-12-06).</summary>
public sealed class HandOffStopTests()
    : Akka.TestKit.Xunit2.TestKit("akka.actor.provider = cluster\nakka.remote.dot-netty.tcp { hostname = \"127.0.0.1\", port = 0 }\nakka.loglevel = WARNING")
{
    /// <summary>
    /// The entity answers the event it stashed while loading, then stops: stopped with a PoisonPill, it dropped it, and the
    /// asking partition waited for its ask timeout and restarted the whole stream.
    /// </summary>
    [Fact]
    public async Task An_entity_stopped_by_its_shards_hand_off_while_loading_answers_what_it_holds_first()
    {
        using var node = await SingleNodeUsers.StartAsync(this, "handoff", maxAttempts: 100);
        var (redis, users) = (node.Redis, node.Users);
        var asker = CreateTestProbe();
        var view = new ClickEvent
        {
            EventId = "v0", EventTime = UserTestWorld.T0, UserId = "shopper", SessionId = "s", Type = EventType.ProductView, ItemId = "shoe-0", Category = "shoes",
        };

        redis.Freeze(); // the entity's load waits for Redis
        try
        {
            users.Tell(new UserProtocol.RecordEvent("shopper", view, new EventPosition(0, 0), DateTimeOffset.UtcNow), asker);
            // Started (Redis frozen: so loading, the event stashed), not only buffered by a region still finding its shard.
            await AwaitAssertAsync(async () => Assert.Contains("shopper",
                (await users.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5))).Shards.SelectMany(s => s.EntityIds)),
                TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
            Watch(users);
            users.Tell(GracefulShutdown.Instance, ActorRefs.NoSender); // the region hands its shard off: its entities get the hand-off stop message
            await Task.Delay(3_000); // the hand-off stop reaches the loading entity, which stashes it
        }
        finally
        {
            redis.Thaw();
        }

        asker.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(30));
        ExpectTerminated(users, TimeSpan.FromSeconds(30)); // and the hand-off completed: the entity stopped after answering
    }
}
