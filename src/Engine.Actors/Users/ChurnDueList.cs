using System.Globalization;
using Engine.Actors.Features;
using Engine.Models.Caching;
using Engine.Models.Privacy;
using StackExchange.Redis;

namespace Engine.Actors.Users;

/// <summary>
/// When each user is next due a churn check, as one Redis sorted set per clickstream partition (score = due
/// event time in ms, member = the user id sealed by <see cref="UserIdSealer"/>): the sweeper wakes only the users whose
/// silence has become long enough, instead of keeping millions of actors alive with timers. Key: <c>{prefix}due:{partition}</c>.
/// The raw id is never stored: the member is its authenticated encryption, which the sweeper opens to name the user.
/// Retention: the key expires when its partition is idle for <c>retention</c>, and entries due longer ago than that are
/// dropped (their features have expired too).
/// </summary>
public sealed class ChurnDueList(IConnectionMultiplexer redis, string prefix, UserIdSealer? sealer = null, TimeSpan? retention = null)
{
    /// <summary>A little longer than the features' 31 days, so an entry never outlives the reason to check its user by much.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(35);

    private readonly UserIdSealer _sealer = sealer ?? UserIdSealer.Development;
    private readonly TimeSpan _retention = retention ?? DefaultRetention;
    // Every flush schedules each of its users again; sealing (an HMAC and an AES-GCM key set up per call) is deterministic.
    private readonly LossyCache<string, string> _members = new(1 << 15);
    private readonly Func<string, string> _seal = (sealer ?? UserIdSealer.Development).Seal;

    private IDatabase Db => redis.GetDatabase();

    public string Key(int partition) => prefix + "due:" + partition.ToString(CultureInfo.InvariantCulture);

    /// <summary>The member that stands for <paramref name="userId"/> (the same every time, so a later event moves it).</summary>
    public string Member(string userId) => _members.GetOrAdd(userId, _seal);

    /// <summary>Drops the user's member from memory (an erased user's id beside its sealed form).</summary>
    public void Forget(string userId) => _members.Remove(userId);

    internal bool Remembers(string userId) => _members.Contains(userId);

    /// <summary>
    /// Sets each user's next check time (the last write wins: a later event moves the check later), as a write the feature
    /// flush that made them due carries in its transaction (<see cref="Engine.Actors.Features.FeatureBatch.SortedSets"/>).
    /// </summary>
    public SortedSetWrite Schedule(int partition, IReadOnlyCollection<KeyValuePair<string, long>> dueMs) =>
        new(Key(partition), [.. dueMs.Select(d => KeyValuePair.Create(Member(d.Key), d.Value))],
            dueMs.Count == 0 ? long.MinValue : dueMs.Max(d => d.Value) - (long)_retention.TotalMilliseconds, _retention);

    /// <summary>The latest check time on the partition's list (null: none): one silence after the clock of its last writer.</summary>
    public async Task<long?> LatestDueAsync(int partition)
    {
        var latest = await Db.SortedSetRangeByRankWithScoresAsync(Key(partition), 0, 0, Order.Descending).ConfigureAwait(false);
        return latest.Length == 0 ? null : (long)latest[0].Score;
    }

    /// <summary>The same as <see cref="Schedule"/>, on its own (tools and tests).</summary>
    public Task ScheduleAsync(int partition, IReadOnlyCollection<KeyValuePair<string, long>> dueMs)
    {
        if (dueMs.Count == 0) return Task.CompletedTask;
        var write = Schedule(partition, dueMs);
        var db = Db;
        return Task.WhenAll(
            db.SortedSetAddAsync(write.Key, [.. write.Entries.Select(e => new SortedSetEntry(e.Key, e.Value))]),
            db.SortedSetRemoveRangeByScoreAsync(write.Key, double.NegativeInfinity, write.DropAtOrBelow),
            db.KeyExpireAsync(write.Key, write.Ttl));
    }

    /// <summary>Rounds of <see cref="DueAsync"/> that may each drop a read's worth of members sealed under another key.</summary>
    private const int MaxReads = 10;

    /// <summary>
    /// Users due at or before <paramref name="asOfMs"/>, oldest first, at most <paramref name="limit"/>. Members this key
    /// cannot open (sealed before <c>Privacy:PseudonymKey</c> changed) are removed as they are met: they can be neither
    /// woken nor erased by id, and, due earliest, they filled every read, so nobody behind them was checked for weeks.
    /// </summary>
    public async Task<IReadOnlyList<string>> DueAsync(int partition, long asOfMs, int limit)
    {
        var (key, db) = (Key(partition), Db);
        var users = new List<string>(limit);
        for (var read = 0; read < MaxReads && users.Count < limit; read++)
        {
            var members = await db.SortedSetRangeByScoreAsync(key, double.NegativeInfinity, asOfMs, skip: users.Count, take: limit - users.Count);
            List<RedisValue>? orphans = null;
            foreach (var member in members)
            {
                if (_sealer.TryOpen(member.ToString()) is { } user) users.Add(user);
                else (orphans ??= []).Add(member);
            }
            if (orphans is null) break;
            await db.SortedSetRemoveAsync(key, [.. orphans]);
        }
        return users;
    }

    /// <summary>Takes the user off the list (erasure); true when they were on it.</summary>
    public Task<bool> RemoveAsync(int partition, string userId) => Db.SortedSetRemoveAsync(Key(partition), Member(userId));

    /// <summary>
    /// After a check at <paramref name="checkedAtMs"/>: the user's next check moves to <paramref name="nextDueMs"/>, or
    /// the user leaves the list (null: alerted, nothing more to check until they come back) - unless an event since
    /// then already moved their check later, which wins. A user no longer on the list (erased) stays off it.
    /// </summary>
    public Task CheckedAsync(int partition, string userId, long checkedAtMs, long? nextDueMs) =>
        Db.ScriptEvaluateAsync(
            """
            local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
            if s and tonumber(s) <= tonumber(ARGV[2]) then
              if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
            end
            return 0
            """,
            [Key(partition)], [Member(userId), checkedAtMs, nextDueMs?.ToString(CultureInfo.InvariantCulture) ?? ""]);
}
