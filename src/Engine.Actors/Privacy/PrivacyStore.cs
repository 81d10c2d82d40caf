using Engine.Actors.Features;
using Engine.Actors.Users;
using Engine.Models.Privacy;
using Engine.Models.Routing;
using StackExchange.Redis;

namespace Engine.Actors.Privacy;

/// <summary>
/// What the engine keeps about one user in Redis, for consent and erasure: the consent hash <c>{prefix}p:{pseudonym}</c>,
/// the features hash <c>{prefix}u:{pseudonym}</c> and the user's entry on their partition's churn due-list.
/// </summary>
/// <param name="replicated">Completes once the replicas the feature flushes wait for hold the writes made so far
/// (<see cref="FeatureStore.ReplicatedAsync"/>); a consent saved and an erasure return only after it, so an acknowledged
/// request survives a failover (before 2026-12-07 the primary's answer sufficed, and a failover to a replica that lagged
/// brought back erased features or undid an opt-out). Null: the primary's answer suffices.</param>
public sealed class PrivacyStore(IConnectionMultiplexer redis, FeatureKeys keys, ChurnDueList dueList, int partitions, Func<Task>? replicated = null)
{
    /// <summary>
    /// How long a consent choice is kept without the user being seen: 13 months, the longest a recorded choice is commonly
    /// held valid (e.g. CNIL guidance) before asking again. Renewed whenever the user's actor loads it.
    /// </summary>
    public static readonly TimeSpan ConsentTtl = TimeSpan.FromDays(395);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>The user's consent (granted when none is recorded); a recorded one is kept another <see cref="ConsentTtl"/>.</summary>
    public async Task<Consent> LoadConsentAsync(string userId)
    {
        var key = keys.Consent(userId);
        var fields = await Db.HashGetAllAsync(key);
        if (fields.Length == 0) return Consent.Granted;
        _ = Db.KeyExpireAsync(key, ConsentTtl, flags: CommandFlags.FireAndForget);
        return Consent.FromFields(fields.ToDictionary(f => f.Name.ToString(), f => f.Value.ToString(), StringComparer.Ordinal));
    }

    public async Task SaveConsentAsync(string userId, Consent consent)
    {
        var key = keys.Consent(userId);
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(key, [.. consent.ToFields().Select(f => new HashEntry(f.Key, f.Value))]);
        _ = transaction.KeyExpireAsync(key, ConsentTtl);
        await transaction.ExecuteAsync();
        if (replicated is not null) await replicated();
    }

    /// <summary>The clickstream partition of the user's events (keyed by user id, murmur2 as the producers partition).</summary>
    public int PartitionOf(string userId) => KafkaPartitioner.Partition(userId, partitions);

    /// <summary>
    /// Deletes every key and entry of the user; returns the names of those that existed (features, consent, churn_due).
    /// <paramref name="keepConsent"/>: not the consent yet (an erasure's passes through the actor, while events the user
    /// sent before the request may still be decided: under the consent they were sent under, not the default).
    /// </summary>
    public async Task<IReadOnlyList<string>> EraseAsync(string userId, bool keepConsent = false)
    {
        var db = Db;
        var features = db.KeyDeleteAsync(keys.Entity(EntityKind.User, userId));
        var consent = keepConsent ? Task.FromResult(false) : db.KeyDeleteAsync(keys.Consent(userId));
        var due = dueList.RemoveAsync(KafkaPartitioner.Partition(userId, partitions), userId);
        await Task.WhenAll(features, consent, due);
        if (replicated is not null) await replicated();
        var removed = new List<string>(3);
        if (features.Result) removed.Add("features");
        if (consent.Result) removed.Add("consent");
        if (due.Result) removed.Add("churn_due");
        return removed;
    }
}
