using System.Globalization;
using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;
using StackExchange.Redis;

namespace Engine.Actors.Users;

/// <summary>
/// Writes the churn episode a sweep's alert opened into the user's features hash (<see cref="UserFeatureState.ChurnAlertId"/>).
/// An alert raised on an event is written with that event's changes; a sweep has no event, and its user's actor is likely
/// to passivate before the user's next one, so the sweeper writes it once Kafka has the alert. Only while the hash's
/// <c>last_event</c> is still the alert's: once a later event's flush has landed, that flush carried the user's episode as
/// the actor then held it (the sweep's mark included, or the re-arm the event brought), and this write would undo it. An
/// erased or expired hash has no <c>last_event</c>, and gets nothing.
/// </summary>
public sealed class ChurnEpisodeStore(IConnectionMultiplexer redis, FeatureKeys keys)
{
    /// <summary>Whether the write was made (false: a later event's flush, or an erasure, came first).</summary>
    public async Task<bool> RecordAlertAsync(ChurnAlert alert)
    {
        if (alert.LastEventAt is not { } lastEvent) return false;
        var key = keys.Entity(EntityKind.User, alert.UserId);
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(key, EntityFeatureState.LastEventField,
            lastEvent.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        _ = transaction.HashSetAsync(key, UserFeatureState.ChurnAlertField, alert.DecisionId);
        return await transaction.ExecuteAsync();
    }
}
