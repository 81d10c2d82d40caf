using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding.External;

namespace Engine.Actors.Sharding;

/// <summary>
/// Moves the shards of the partitions this node was just assigned to this node, through Akka's
/// <see cref="ExternalShardAllocationStrategy"/>: the entity then lives where its events are consumed,
/// with no cross-node hop on the hot path. Called from the Kafka source's rebalance callback.
/// </summary>
public sealed class ShardAlignment(ActorSystem system, string typeName)
{
    private readonly IExternalShardAllocationClient _client = ExternalShardAllocation.Get(system).ClientFor(typeName);
    private readonly Address _self = Cluster.Get(system).SelfAddress;

    public Task AssignedAsync(IEnumerable<int> partitions)
    {
        var locations = partitions.ToImmutableDictionary(PartitionAlignedExtractor.ShardName, _ => _self);
        return locations.IsEmpty ? Task.CompletedTask : _client.UpdateShardLocations(locations);
    }
}
