using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.External;

namespace Engine.Actors.Sharding;

/// <summary>
/// A shard region of users or campaigns: one shard per partition of the topic that feeds it, placed by
/// <see cref="ExternalShardAllocationStrategy"/> on the node that consumes that partition (see <see cref="ShardAlignment"/>);
/// idle entities are passivated so millions fit in bounded memory, and come back from Redis on their next event.
/// </summary>
public static class EntityShards
{
    public const string Users = "user";
    public const string Campaigns = "campaign";

    public static IActorRef Start(ActorSystem system, string typeName, int partitions, Func<string, Props> entityProps, TimeSpan passivateIdleAfter)
    {
        var sharding = ClusterSharding.Get(system); // loads sharding's default configuration
        var settings = ClusterShardingSettings.Create(system).WithPassivateIdleAfter(passivateIdleAfter);
        return sharding.Start(
            typeName, entityProps, settings, new PartitionAlignedExtractor(partitions),
            new ExternalShardAllocationStrategy(system, typeName), PoisonPill.Instance);
    }
}
