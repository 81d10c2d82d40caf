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
/// <param name="features">The node's feature store: when its flushes wait for replicas (<see cref="FeatureStore.WaitsForReplicas"/>),
/// a consent and an erasure are written through its flush connection and return only once as many replicas hold them
/// (<see cref="FeatureStore.WriteReplicatedAsync"/>), so an acknowledged request survives a failover (before 2026-12-07 the
/// primary's answer sufficed, and a failover to a replica that lagged brought back erased features or undid an opt-out).
/// Null, or no replicas asked for: the primary's answer suffices.</param>
public sealed class PrivacyStore(IConnectionMultiplexer redis, FeatureKeys keys, ChurnDueList dueList, int partitions, FeatureStore? features = null)
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
        var fields = consent.ToFields().ToList();
        if (Replicated is { } replicated)
        {
            await replicated.WriteReplicatedAsync(commands =>
            {
                commands.Command(2 + 2 * fields.Count).Bulk("HSET"u8).Bulk(key);
                foreach (var (field, value) in fields) commands.Bulk(field).Bulk(value);
                commands.Command(3).Bulk("PEXPIRE"u8).Bulk(key).Bulk((long)ConsentTtl.TotalMilliseconds);
            }, commands: 2);
            return;
        }
        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(key, [.. fields.Select(f => new HashEntry(f.Key, f.Value))]);
        _ = transaction.KeyExpireAsync(key, ConsentTtl);
        await transaction.ExecuteAsync();
    }

    /// <summary>The store whose flush connection carries the privacy writes, when they must wait for replicas.</summary>
    private FeatureStore? Replicated => features is { WaitsForReplicas: true } ? features : null;

    /// <summary>The clickstream partition of the user's events (keyed by user id, murmur2 as the producers partition).</summary>
    public int PartitionOf(string userId) => KafkaPartitioner.Partition(userId, partitions);

    /// <summary>
    /// Deletes every key and entry of the user; returns the names of those that existed (features, consent, churn_due).
    /// <paramref name="keepConsent"/>: not the consent yet (an erasure's passes through the actor, while events the user
    /// sent before the request may still be decided: under the consent they were sent under, not the default).
    /// </summary>
    public async Task<IReadOnlyList<string>> EraseAsync(string userId, bool keepConsent = false)
    {
        var (featuresKey, consentKey, partition) = (keys.Entity(EntityKind.User, userId), keys.Consent(userId), PartitionOf(userId));
        if (Replicated is { } replicated)
        {
            var answers = await replicated.WriteReplicatedAsync(commands =>
            {
                commands.Command(2).Bulk("DEL"u8).Bulk(featuresKey);
                commands.Command(3).Bulk("ZREM"u8).Bulk(dueList.Key(partition)).Bulk(dueList.Member(userId));
                if (!keepConsent) commands.Command(2).Bulk("DEL"u8).Bulk(consentKey);
            }, commands: keepConsent ? 2 : 3);
            ForgetInMemory(userId);
            return Removed(answers[0] > 0, !keepConsent && answers[2] > 0, answers[1] > 0);
        }
        var db = Db;
        var deletedFeatures = db.KeyDeleteAsync(featuresKey);
        var deletedConsent = keepConsent ? Task.FromResult(false) : db.KeyDeleteAsync(consentKey);
        var deletedDue = dueList.RemoveAsync(partition, userId);
        await Task.WhenAll(deletedFeatures, deletedConsent, deletedDue);
        ForgetInMemory(userId);
        return Removed(deletedFeatures.Result, deletedConsent.Result, deletedDue.Result);
    }

    /// <summary>
    /// The node's caches of the user's key and due-list member hold the raw id beside its pseudonym and sealed form until a
    /// colliding entry replaces them: a heap dump after the acknowledgement linked the erased user to them (before
    /// 2026-12-07, review). A later event of the user makes them again (new data, as its features are).
    /// </summary>
    private void ForgetInMemory(string userId)
    {
        keys.Forget(EntityKind.User, userId);
        dueList.Forget(userId);
    }

    private static List<string> Removed(bool features, bool consent, bool due)
    {
        var removed = new List<string>(3);
        if (features) removed.Add("features");
        if (consent) removed.Add("consent");
        if (due) removed.Add("churn_due");
        return removed;
    }
}
