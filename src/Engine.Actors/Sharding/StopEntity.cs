using Akka.Actor;

namespace Engine.Actors.Sharding;

/// <summary>
/// Stops one entity, whatever its kind: the message extractor hands it a <c>PoisonPill</c>, so no actor needs to
/// know this message. Its next message starts it again from Redis.
/// </summary>
/// <param name="UnlessAnsweringElsewhere">Handed to the entity instead, which stops unless the writer it last answered runs
/// on another node (its partition moved there before its shard did), and says which it did (<see cref="EntityStopping"/>):
/// what a stream's restart on this node stops (<see cref="EntityShards.StopAllAsync"/>).</param>
public sealed record StopEntity(string EntityId, bool UnlessAnsweringElsewhere = false) : IShardedMessage;

/// <summary>An entity's answer to a <see cref="StopEntity"/> with <c>UnlessAnsweringElsewhere</c>: whether it stops.</summary>
public sealed record EntityStopping(string EntityId, bool Stops);

/// <summary>How an entity takes a <see cref="StopEntity"/> handed to it (one with <c>UnlessAnsweringElsewhere</c>).</summary>
public static class EntityStop
{
    /// <summary>Answers whether it stops, and stops unless <paramref name="answeringElsewhere"/>.</summary>
    public static void Take(StopEntity stop, bool answeringElsewhere, IActorContext context)
    {
        var stops = !(stop.UnlessAnsweringElsewhere && answeringElsewhere);
        context.Sender.Tell(new EntityStopping(stop.EntityId, stops));
        if (stops) context.Stop(context.Self);
    }
}
