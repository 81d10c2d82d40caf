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

    /// <summary>How often a move that landed is checked while the partition is still read here.</summary>
    public TimeSpan RecheckEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Tried until it lands, or until <paramref name="stillAssigned"/> is cancelled (the partition was revoked): tried
    /// once (before 2026-12-07), an update that timed out (a replicator behind on a busy start) left the shard on another
    /// node until the next rebalance, days perhaps: every event asked across nodes, and entities there that never passivate.
    /// Then checked every <see cref="RecheckEvery"/> while assigned, and moved again if it points elsewhere: an earlier
    /// node's update that its client gave up on can still land after this one and, stamped later, win (before 2026-12-07
    /// the shard then stayed there until the next rebalance).
    /// </summary>
    /// <param name="failed">Hears each failed attempt (to log it); the next is tried after the delay.</param>
    /// <param name="movedBack">Hears each check that found the shard's location pointing at another node (to log it).</param>
    public async Task AssignedAsync(IEnumerable<int> partitions, CancellationToken stillAssigned = default, Action<Exception>? failed = null,
        Action? movedBack = null)
    {
        var locations = partitions.ToImmutableDictionary(PartitionAlignedExtractor.ShardName, _ => self);
        if (locations.IsEmpty || !await MoveAsync(locations, stillAssigned, failed).ConfigureAwait(false)) return;
        while (await WaitedAsync(RecheckEvery, stillAssigned).ConfigureAwait(false))
        {
            ShardLocations current;
            try
            {
                current = await client.ShardLocations().ConfigureAwait(false);
            }
            catch (Exception)
            {
                continue; // read again at the next check (a move that fails is what gets logged)
            }
            if (locations.Keys.All(shard => current.Locations.TryGetValue(shard, out var at) && self.Equals(at.Address))) continue;
            movedBack?.Invoke();
            if (!await MoveAsync(locations, stillAssigned, failed).ConfigureAwait(false)) return;
        }
    }

    /// <summary>True once the update landed; false when the partition was revoked first.</summary>
    private async Task<bool> MoveAsync(ImmutableDictionary<string, Address> locations, CancellationToken stillAssigned, Action<Exception>? failed)
    {
        for (var delay = FirstRetryDelay; !stillAssigned.IsCancellationRequested; delay = Min(delay * 2, MaxRetryDelay))
        {
            try
            {
                await client.UpdateShardLocations(locations).ConfigureAwait(false);
                return true;
            }
            catch (Exception e)
            {
                failed?.Invoke(e);
            }
            if (!await WaitedAsync(delay, stillAssigned).ConfigureAwait(false)) return false;
        }
        return false;
    }

    private static async Task<bool> WaitedAsync(TimeSpan delay, CancellationToken stillAssigned)
    {
        try
        {
            await Task.Delay(delay, stillAssigned).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
