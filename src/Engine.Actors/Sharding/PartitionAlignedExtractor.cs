using Akka.Cluster.Sharding;

using Engine.Models.Routing;

namespace Engine.Actors.Sharding;

/// <summary>
/// Shard id = the Kafka partition the entity's key lands on (murmur2, as the producers use), so a shard
/// holds exactly the entities of one partition and can live on the node that consumes it.
/// </summary>
public sealed class PartitionAlignedExtractor(int partitions) : IMessageExtractor
{
    public int Partitions => partitions;

    public string? EntityId(object message) => message switch
    {
        IShardedMessage m => m.EntityId,
        _ => null,
    };

    public object? EntityMessage(object message) => message is StopEntity { UnlessAnsweringElsewhere: false } ? Akka.Actor.PoisonPill.Instance : message;

    public string? ShardId(object message) => message switch
    {
        IShardedMessage m => ShardOf(m.EntityId),
        _ => null,
    };

    public string ShardId(string entityId, object? messageHint = null) => ShardOf(entityId);

    public string ShardOf(string entityId) => ShardName(KafkaPartitioner.Partition(entityId, partitions));

    public static string ShardName(int partition) => partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
