using Akka.Actor;
using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>
/// Who is in this engine's cluster, as Redis last heard it: every member rewrites its address' entry (a hash field, its
/// wall clock in milliseconds) each <see cref="Beat"/> while it is up. A starting node reads it before it joins, so it
/// never forms a cluster of its own beside a live one: two clusters on one Kafka group would both decide for the same
/// users, with entities of each still alive when partitions move back (a split brain Kafka's group does not see).
/// An entry is live when its value changes while the reader watches (no clock is compared across machines), so a
/// crashed member's entry is recognised as stale after one <see cref="Watch"/>.
/// </summary>
/// <param name="key">The hash, one per consumer group and key prefix (<see cref="Key"/>).</param>
public sealed class ClusterMembers(IDatabase redis, RedisKey key)
{
    /// <summary>How often a member rewrites its entry.</summary>
    public TimeSpan Beat { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a reader watches entries for a change: three beats, so one late beat does not look like a death.</summary>
    public TimeSpan Watch => Beat * 3;

    /// <summary>The members' hash of one consumer group under a Redis key prefix (e.g. <c>engine:cluster:engine:members</c>).</summary>
    public static RedisKey Key(string clusterKeyPrefix, string groupId) => $"{clusterKeyPrefix}{groupId}:members";

    private RedisKey FormingKey => key.Append(":forming");

    /// <summary>
    /// The members other than <paramref name="self"/> whose entries change within <see cref="Watch"/>: empty at once when
    /// there are no other entries, else after watching them (one watch per start, the price of telling a crashed member
    /// from a live one). Stale entries are removed.
    /// </summary>
    public async Task<IReadOnlyList<Address>> LiveAsync(Address self, CancellationToken cancellationToken)
    {
        var first = await ReadOthersAsync(self);
        if (first.Count == 0) return [];
        var live = new HashSet<string>();
        for (var watched = TimeSpan.Zero; watched < Watch && live.Count < first.Count; watched += Beat)
        {
            await Task.Delay(Beat, cancellationToken);
            foreach (var (address, beat) in await ReadOthersAsync(self))
                if (!first.TryGetValue(address, out var before) || before != beat) live.Add(address);
        }
        foreach (var stale in first.Keys.Where(a => !live.Contains(a)))
            await redis.HashDeleteAsync(key, stale, CommandFlags.FireAndForget);
        return live.Select(Address.Parse).ToList();
    }

    /// <summary>
    /// Claims the right to form a new cluster, for <paramref name="hold"/> at most: two nodes started together without
    /// seeds would otherwise both find no member and both form one. False: another node is forming it now.
    /// </summary>
    public Task<bool> TryFormAsync(Address self, TimeSpan hold) => redis.LockTakeAsync(FormingKey, self.ToString(), hold);

    /// <summary>This node's cluster is formed and announced: the next node finds it among the members.</summary>
    public Task FormedAsync(Address self) => redis.LockReleaseAsync(FormingKey, self.ToString());

    /// <summary>
    /// Writes <paramref name="self"/>'s entry now (the first, once this member is up), and keeps the hash for a minute past
    /// the last beat: every key the engine writes expires (docs/privacy.md), and with no member left nothing reads it.
    /// </summary>
    public async Task BeatAsync(Address self)
    {
        var beat = redis.HashSetAsync(key, self.ToString(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var kept = redis.KeyExpireAsync(key, TimeSpan.FromMinutes(1));
        await Task.WhenAll(beat, kept);
    }

    /// <summary>
    /// Rewrites <paramref name="self"/>'s entry every <see cref="Beat"/> until <paramref name="stop"/>, then removes it (a
    /// member that left is not watched for by the next start). A failed write is only retried at the next beat: the
    /// entry matters to starting nodes, never to this one's work.
    /// </summary>
    public async Task AnnounceAsync(Address self, CancellationToken stop)
    {
        using var beats = new PeriodicTimer(Beat);
        while (await Ticked(beats, stop))
        {
            try
            {
                await BeatAsync(self);
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
                // Redis away (or its connection closed by the node's stop): the entry goes stale, and a node starting meanwhile may not find this one (docs/operations.md).
            }
        }
        try
        {
            await redis.HashDeleteAsync(key, self.ToString());
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // Left stale: the next start watches it for one Watch and removes it.
        }
    }

    private static async Task<bool> Ticked(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<Dictionary<string, RedisValue>> ReadOthersAsync(Address self)
    {
        var entries = await redis.HashGetAllAsync(key);
        var own = self.ToString();
        return entries.Where(e => e.Name != own).ToDictionary(e => (string)e.Name!, e => e.Value);
    }
}
