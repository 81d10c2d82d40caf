using Akka.Actor;
using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>
/// Who is in this engine's cluster, as Redis last heard it: every member rewrites its address' entry (a hash field, its
/// wall clock in milliseconds) each <see cref="Beat"/> while it is up. A starting node reads it before it joins, so it
/// never forms a cluster of its own beside a live one: two clusters on one Kafka group would both decide for the same
/// users, with entities of each still alive when partitions move back (a split brain Kafka's group does not see).
/// An entry is live when its value changes while the reader watches (no clock is compared across machines), so a
/// crashed member's entry is recognised as silent after one <see cref="Watch"/>.
/// </summary>
/// <param name="key">The hash, one per consumer group and key prefix (<see cref="Key"/>).</param>
public sealed class ClusterMembers(IDatabase redis, RedisKey key)
{
    /// <summary>How often a member rewrites its entry.</summary>
    public TimeSpan Beat { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a reader watches entries for a change: three beats, so one late beat does not look like a death.</summary>
    public TimeSpan Watch => Beat * 3;

    /// <summary>Where one consumer group's cluster keeps its keys in Redis (e.g. <c>engine:cluster:engine:</c>): its members, its lease.</summary>
    public static string GroupKeyPrefix(string clusterKeyPrefix, string groupId) => $"{clusterKeyPrefix}{groupId}:";

    /// <summary>The members' hash of one consumer group under a Redis key prefix (e.g. <c>engine:cluster:engine:members</c>).</summary>
    public static RedisKey Key(string clusterKeyPrefix, string groupId) => GroupKeyPrefix(clusterKeyPrefix, groupId) + "members";

    private RedisKey FormingKey => key.Append(":forming");

    /// <summary>The members' hash key (named in the message of a start Redis refused).</summary>
    public string KeyName => key.ToString();

    /// <summary>The Redis key of the claim to form a new cluster (named in the message of a start that waited on it).</summary>
    public string FormingKeyName => FormingKey.ToString();

    /// <summary>
    /// The members heard within <see cref="KnownFor"/>: the hash expires a minute after the last beat, so members that could
    /// not write to Redis for longer (cut off from it, an ACL change) left it empty, and a node started then without seeds
    /// formed a second cluster beside them. Their addresses are asked before a cluster is formed.
    /// </summary>
    private RedisKey KnownKey => key.Append(":known");

    /// <summary>How long an address beats on in <see cref="KnownKey"/> after its last beat.</summary>
    public static readonly TimeSpan KnownFor = TimeSpan.FromDays(1);

    /// <summary>
    /// The members other than <paramref name="self"/>: <see cref="Sighting.Live"/> those whose entries changed within
    /// <see cref="Watch"/>, <see cref="Sighting.Silent"/> the rest (crashed, or live with their beats held up, as on a
    /// starved machine: the caller asks them before it forms a cluster), with the addresses heard within <see cref="KnownFor"/>
    /// that the hash no longer holds. At once when the hash holds no other entry, else after watching them (one watch per
    /// start). Silent entries are removed: a live member writes its own again. <see cref="Sighting.Alone"/>: the live members
    /// whose entries say they run with a setting safe only for a node alone (<see cref="BeatAsync"/>).
    /// </summary>
    public async Task<Sighting> LookAsync(Address self, CancellationToken cancellationToken)
    {
        var first = await ReadOthersAsync(self);
        // Heard within the day, and not in the hash: silent (removed there, and asked by the caller) until they beat again.
        var known = (await redis.HashGetAllAsync(KnownKey)).Where(e => e.Name != self.ToString() && !first.ContainsKey(e.Name!)).ToList();
        if (known.Count > 0) await redis.HashDeleteAsync(KnownKey, [.. known.Select(e => e.Name)], CommandFlags.FireAndForget);
        // A member running alone is never asked to be joined, whatever its entry shows (a silent one may be live, its beats
        // held up: asked, it would answer and be joined; before 2026-12-07 only a live entry's mark was read).
        var unheard = known.Where(e => !Alone(e.Value)).Select(e => (string)e.Name!).ToList();
        var silentAlone = known.Where(e => Alone(e.Value)).Select(e => (string)e.Name!).ToList();
        if (first.Count == 0) return new([], unheard.Select(Address.Parse).ToList(), [], silentAlone.Select(Address.Parse).ToList());
        var live = new HashSet<string>();
        var alone = new HashSet<string>();
        for (var watched = TimeSpan.Zero; watched < Watch && !first.Keys.All(live.Contains); watched += Beat)
        {
            await Task.Delay(Beat, cancellationToken);
            foreach (var (address, beat) in await ReadOthersAsync(self))
            {
                if (first.TryGetValue(address, out var before) && before == beat) continue;
                live.Add(address);
                if (Alone(beat)) alone.Add(address);
            }
        }
        var silent = first.Keys.Where(a => !live.Contains(a)).ToList();
        if (silent.Count > 0)
        {
            RedisValue[] gone = [.. silent.Select(a => (RedisValue)a)];
            await redis.HashDeleteAsync(key, gone, CommandFlags.FireAndForget);
            await redis.HashDeleteAsync(KnownKey, gone, CommandFlags.FireAndForget);
        }
        var asked = silent.Where(a => !Alone(first[a])).Concat(unheard);
        silentAlone.AddRange(silent.Where(a => Alone(first[a])));
        return new(live.Select(Address.Parse).ToList(), asked.Select(Address.Parse).ToList(), alone.Select(Address.Parse).ToList(),
            silentAlone.Select(Address.Parse).ToList());
    }

    private static bool Alone(RedisValue entry) => ((string?)entry)?.EndsWith(AloneMark, StringComparison.Ordinal) == true;

    /// <summary>
    /// What a look at the members found: those heard beating, those whose entries stood still (to be asked before a cluster is
    /// formed), and those running alone (never to be asked or joined), live or silent (crashed, or live with its beats held up;
    /// removed from Redis by this look, so a crashed one holds off one start only).
    /// </summary>
    public sealed record Sighting(IReadOnlyList<Address> Live, IReadOnlyList<Address> Silent, IReadOnlyList<Address> Alone, IReadOnlyList<Address> SilentAlone);

    /// <summary>Ends the entry of a member whose settings are safe only for a node alone.</summary>
    private const string AloneMark = " alone";

    /// <summary>
    /// Claims the right to form a new cluster, for <paramref name="hold"/> at most: two nodes that both found no member
    /// would otherwise both form one. False: another node is forming it now, or a member was announced since the caller
    /// looked (it should look again and join it). A claim left by this address (a start that failed) is taken over.
    /// </summary>
    public async Task<bool> TryFormAsync(Address self, TimeSpan hold)
    {
        var owner = self.ToString();
        if (!await redis.LockTakeAsync(FormingKey, owner, hold) && !await redis.LockExtendAsync(FormingKey, owner, hold)) return false;
        if ((await ReadOthersAsync(self)).Count == 0) return true;
        await ReleaseFormingAsync(self);
        return false;
    }

    /// <summary>Who holds the claim to form a new cluster now and for how long, or null: for the message of a start that waited on it.</summary>
    public async Task<(string Holder, TimeSpan? Left)?> FormingClaimAsync()
    {
        var holder = await redis.LockQueryAsync(FormingKey);
        return holder.IsNull ? null : ((string)holder!, await redis.KeyTimeToLiveAsync(FormingKey));
    }

    /// <summary>Gives the claim to form back: this node's cluster is announced (the next node finds it), or its start failed.</summary>
    public Task ReleaseFormingAsync(Address self) => redis.LockReleaseAsync(FormingKey, self.ToString());

    /// <summary>
    /// Writes <paramref name="self"/>'s entry now (the first, once this member is up), and keeps the hash for a minute past
    /// the last beat: every key the engine writes expires (docs/privacy.md), and with no member left nothing reads it.
    /// </summary>
    /// <param name="alone">
    /// This member runs with a setting safe only for a node alone (<see cref="ClusterSettings.JoinRefusal"/>): its entry says
    /// so, and a node that finds it live refuses to join it, as this one would have refused to join others.
    /// </param>
    public async Task BeatAsync(Address self, bool alone = false)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        RedisValue entry = alone ? $"{now}{AloneMark}" : now;
        var beat = redis.HashSetAsync(key, self.ToString(), entry);
        var kept = redis.KeyExpireAsync(key, TimeSpan.FromMinutes(1));
        var known = redis.HashSetAsync(KnownKey, self.ToString(), entry);
        var knownKept = redis.KeyExpireAsync(KnownKey, KnownFor);
        await Task.WhenAll(beat, kept, known, knownKept);
    }

    /// <summary>
    /// Rewrites <paramref name="self"/>'s entry (first written by <see cref="BeatAsync"/>) every <see cref="Beat"/> until <paramref name="stop"/>, then removes it (a
    /// member that left is not watched for by the next start). A failed write is only retried at the next beat: the
    /// entry matters to starting nodes, never to this one's work.
    /// </summary>
    public async Task AnnounceAsync(Address self, CancellationToken stop, bool alone = false)
    {
        using var beats = new PeriodicTimer(Beat);
        while (await Ticked(beats, stop))
        {
            try
            {
                await BeatAsync(self, alone);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Redis away (or its connection closed by the node's stop): the entry goes silent, and a node starting
                // meanwhile asks this one before it forms a cluster (docs/operations.md).
            }
        }
        try
        {
            await Task.WhenAll(redis.HashDeleteAsync(key, self.ToString()), redis.HashDeleteAsync(KnownKey, self.ToString()));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Left behind: the next start finds it silent, asks its address and removes it.
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
