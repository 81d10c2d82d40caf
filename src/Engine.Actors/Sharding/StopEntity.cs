namespace Engine.Actors.Sharding;

/// <summary>
/// Stops one entity, whatever its kind: the message extractor hands it a <c>PoisonPill</c>, so no actor needs to
/// know this message. Its next message starts it again from Redis.
/// </summary>
public sealed record StopEntity(string EntityId) : IShardedMessage;
