using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Sharding;

/// <summary>What a stream's restart stops on its node (<see cref="EntityShards.StopAllAsync"/>; review, 2026-12-07).</summary>
public sealed class StopAllTests() : Akka.TestKit.Xunit2.TestKit(Remoting.WithFallback(EntityMessageSerializer.Config))
{
    private static readonly Config Remoting = ConfigurationFactory.ParseString(
        "akka.actor.provider = cluster\nakka.remote.dot-netty.tcp { hostname = \"127.0.0.1\", port = 0 }\nakka.loglevel = WARNING");

    /// <summary>
    /// An entity answering a writer on another node (its partition moved there before its shard did) is left running: that
    /// stream lost nothing, and reloaded here it could miss that writer's flushes still on their way, which only the other
    /// node waits for; its stale values were then written over them. One answering this node's writer stops, as before.
    /// </summary>
    [Fact]
    public async Task A_restart_stops_the_entities_answering_this_nodes_writers_and_leaves_those_answering_another_nodes()
    {
        using var node = await SingleNodeUsers.StartAsync(this, "stop-all");
        var users = node.Users;
        // Another node's writer: a probe in a second actor system, reached over remoting.
        using var other = ActorSystem.Create("other", Remoting.WithFallback(EntityMessageSerializer.Config));
        var otherWriter = CreateTestProbe(other);
        var otherAddress = ((ExtendedActorSystem)other).Provider.DefaultAddress;
        var remoteWriter = await Sys.ActorSelection(otherWriter.Ref.Path.ToStringWithAddress(otherAddress)).ResolveOne(TimeSpan.FromSeconds(10));
        var localWriter = CreateTestProbe();

        users.Tell(Record("here", offset: 0), localWriter.Ref);
        localWriter.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(30));
        users.Tell(Record("there", offset: 1), remoteWriter);
        otherWriter.ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(30));

        await EntityShards.StopAllAsync(users, TimeSpan.FromSeconds(10));

        var hosted = (await users.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5))).Shards.SelectMany(s => s.EntityIds).ToList();
        Assert.DoesNotContain("here", hosted);
        Assert.Contains("there", hosted);
    }

    private static UserProtocol.RecordEvent Record(string user, long offset) => new(user, new ClickEvent
    {
        EventId = $"v-{user}", EventTime = UserTestWorld.T0, UserId = user, SessionId = "s", Type = EventType.ProductView, ItemId = "shoe-0", Category = "shoes",
    }, new EventPosition(0, offset), DateTimeOffset.UtcNow);
}
