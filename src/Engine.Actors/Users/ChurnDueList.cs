using System.Globalization;
using StackExchange.Redis;

namespace Engine.Actors.Users;

/// <summary>
/// When each user is next due a churn check, as one Redis sorted set per clickstream partition (score = due
/// event time in ms, member = user id): the sweeper wakes only the users whose silence has become long enough,
/// instead of keeping millions of actors alive with timers. Key: <c>{prefix}due:{partition}</c>.
/// </summary>
public sealed class ChurnDueList(IConnectionMultiplexer redis, string prefix)
{
    private IDatabase Db => redis.GetDatabase();

    public string Key(int partition) => prefix + "due:" + partition.ToString(CultureInfo.InvariantCulture);

    /// <summary>Sets each user's next check time (the last write wins: a later event moves the check later).</summary>
    public Task ScheduleAsync(int partition, IReadOnlyCollection<KeyValuePair<string, long>> dueMs) =>
        dueMs.Count == 0
            ? Task.CompletedTask
            : Db.SortedSetAddAsync(Key(partition), [.. dueMs.Select(d => new SortedSetEntry(d.Key, d.Value))]);

    /// <summary>Users due at or before <paramref name="asOfMs"/>, oldest first.</summary>
    public async Task<IReadOnlyList<string>> DueAsync(int partition, long asOfMs, int limit)
    {
        var members = await Db.SortedSetRangeByScoreAsync(Key(partition), double.NegativeInfinity, asOfMs, take: limit);
        return [.. members.Select(m => m.ToString())];
    }

    /// <summary>
    /// After a check at <paramref name="checkedAtMs"/>: the user's next check moves to <paramref name="nextDueMs"/>, or
    /// the user leaves the list (null: alerted, nothing more to check until they come back) - unless an event since
    /// then already moved their check later, which wins.
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
            [Key(partition)], [userId, checkedAtMs, nextDueMs?.ToString(CultureInfo.InvariantCulture) ?? ""]);
}
