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
public sealed class ShardAlignment(IExternalShardAllocationClient client, Address self)
{
    public ShardAlignment(ActorSystem system, string typeName)
        : this(ExternalShardAllocation.Get(system).ClientFor(typeName), Cluster.Get(system).SelfAddress) { }

    /// <summary>The first wait after an update that failed; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Tried until it lands, or until <paramref name="stillAssigned"/> is cancelled (the partition was revoked): tried
    /// once (before 2026-12-07), an update that timed out (a replicator behind on a busy start) left the shard on another
    /// node until the next rebalance, days perhaps: every event asked across nodes, and entities there that never passivate.
    /// </summary>
    /// <param name="failed">Hears each failed attempt (to log it); the next is tried after the delay.</param>
    public async Task AssignedAsync(IEnumerable<int> partitions, CancellationToken stillAssigned = default, Action<Exception>? failed = null)
    {
        var locations = partitions.ToImmutableDictionary(PartitionAlignedExtractor.ShardName, _ => self);
        if (locations.IsEmpty) return;
        for (var delay = FirstRetryDelay; !stillAssigned.IsCancellationRequested; delay = Min(delay * 2, MaxRetryDelay))
        {
            try
            {
                await client.UpdateShardLocations(locations).ConfigureAwait(false);
                return;
            }
            catch (Exception e)
            {
                failed?.Invoke(e);
            }
            try
            {
                await Task.Delay(delay, stillAssigned).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
