using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.External;

namespace Engine.Actors.Sharding;

/// <summary>
/// A shard region of users or campaigns: one shard per partition of the topic that feeds it, placed by
/// <see cref="ExternalShardAllocationStrategy"/> on the node that consumes that partition (see <see cref="ShardAlignment"/>).
/// Idle entities passivate themselves (<see cref="IdlePassivation"/>: only once their changes are durable), so millions fit
/// in bounded memory, and come back from Redis on their next event; sharding's own idle passivation is off. A moving shard
/// stops its entities with <see cref="HandOffStop"/>, which every entity handles once it has answered what it holds.
/// </summary>
public static class EntityShards
{
    public const string Users = "user";
    public const string Campaigns = "campaign";

    public static IActorRef Start(ActorSystem system, string typeName, int partitions, Func<string, Props> entityProps)
    {
        var sharding = ClusterSharding.Get(system); // loads sharding's default configuration
        var settings = ClusterShardingSettings.Create(system).WithPassivateIdleAfter(TimeSpan.Zero);
        return sharding.Start(
            typeName, entityProps, settings, new PartitionAlignedExtractor(partitions),
            new ExternalShardAllocationStrategy(system, typeName), HandOffStop.Instance);
    }

    /// <summary>
    /// Stops the entities this node hosts in <paramref name="region"/> and waits until they are gone (or the timeout
    /// passed). After a pipeline failure an entity may hold changes that were never written to Redis (its reply was
    /// lost with the stream); the replay would see those offsets as already applied. Restarted from Redis, it
    /// re-applies them. Entities answering another node's writer stay (their partition moved there before their shard
    /// did): that stream lost nothing, and a reload there could miss its flushes still on their way, which only the
    /// other node waits for (before 2026-12-07 they were stopped too, reloaded on that writer's next ask, and its next
    /// flush wrote their stale values over the pending ones).
    /// </summary>
    public static async Task StopAllAsync(IActorRef region, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout);
        var answers = await Task.WhenAll(state.Shards.SelectMany(s => s.EntityIds).Select(async id =>
        {
            try
            {
                return await region.Ask<EntityStopping>(new StopEntity(id, UnlessAnsweringElsewhere: true), timeout);
            }
            catch (AskTimeoutException)
            {
                return new EntityStopping(id, Stops: true); // gone meanwhile (or stopping): waited for below
            }
        }));
        var stopping = answers.Where(a => a.Stops).Select(a => a.EntityId).ToHashSet();
        while (DateTime.UtcNow < deadline)
        {
            state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout);
            if (!state.Shards.SelectMany(s => s.EntityIds).Any(stopping.Contains)) return;
            await Task.Delay(50);
        }
    }
}
