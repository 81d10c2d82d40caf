using Akka.Actor;
using Engine.Actors.Pipeline;

namespace Engine.Actors.Sharding;

/// <summary>An entity whose state could not be loaded from Redis, about to stop.</summary>
internal static class LoadFailure
{
    /// <summary>
    /// Answers every sharded message that waited for the load <see cref="EntityNotReady"/>: the stream fails its asks at once
    /// (and restarts from its commit), the sweeper checks the user again next sweep. Before 2026-12-06 they were unstashed and
    /// the entity stopped at once, so they went to the dead letters and each ask waited out its timeout.
    /// </summary>
    public static void AnswerWaitingNotReady(IStash stash, string entityId, Exception error)
    {
        foreach (var waiting in stash.ClearStash())
            if (waiting.Message is IShardedMessage) waiting.Sender.Tell(new EntityNotReady(entityId, error.Message));
    }
}
