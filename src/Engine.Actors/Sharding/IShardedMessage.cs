namespace Engine.Actors.Sharding;

/// <summary>A message for one sharded entity (a user or a campaign), routed by its id.</summary>
public interface IShardedMessage
{
    string EntityId { get; }
}
