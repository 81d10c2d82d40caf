using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.External;
using Engine.Actors.Sharding;

namespace Engine.Actors.Users;

/// <summary>
/// The user shard region: one shard per clickstream partition, placed by <see cref="ExternalShardAllocationStrategy"/>
/// on the node that consumes that partition (see <see cref="ShardAlignment"/>); idle users are passivated so
/// millions of users fit in bounded memory, and come back from Redis on their next event.
/// </summary>
public static class UserShards
{
    public const string TypeName = "user";

    public static IActorRef Start(ActorSystem system, int partitions, Func<string, Props> userProps, TimeSpan passivateIdleAfter)
    {
        var sharding = ClusterSharding.Get(system); // loads sharding's default configuration
        var settings = ClusterShardingSettings.Create(system).WithPassivateIdleAfter(passivateIdleAfter);
        return sharding.Start(
            TypeName, userProps, settings, new PartitionAlignedExtractor(partitions),
            new ExternalShardAllocationStrategy(system, TypeName), PoisonPill.Instance);
    }
}
