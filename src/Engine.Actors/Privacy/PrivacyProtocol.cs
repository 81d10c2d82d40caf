using Akka.Event;
using Engine.Actors.Sharding;
using Engine.Models.Privacy;

namespace Engine.Actors.Privacy;

/// <summary>
/// Privacy requests to a <see cref="Users.UserActor"/>, routed through the user shard region so they are handled in turn
/// with that user's events, and the actor's answers.
/// </summary>
public static class PrivacyProtocol
{
    /// <summary>
    /// Delete everything kept about the user, in memory and in Redis, but the consent, which the erasure's last step deletes
    /// (<see cref="PrivacyStore.EraseAsync"/>) once no earlier event of the user can come (reply: <see cref="UserErased"/>).
    /// </summary>
    public sealed record EraseUser(string UserId, string RequestId) : IShardedMessage
    {
        public string EntityId => UserId;
    }

    /// <summary>From the next event on, decide for the user as <paramref name="Consent"/> allows (reply: <see cref="ConsentRecorded"/>).</summary>
    public sealed record RecordConsent(string UserId, string RequestId, Consent Consent) : IShardedMessage
    {
        public string EntityId => UserId;
    }

    /// <summary>The user's keys are deleted and the actor is passivating; <paramref name="Removed"/> names what existed.</summary>
    /// <param name="LastAnswered">The latest event the erased actor had answered (null: none since it started): its flush may
    /// still be on its way to Redis, carrying what the actor held before the erasure.</param>
    public sealed record UserErased(string UserId, string RequestId, IReadOnlyList<string> Removed, Engine.Models.Features.EventPosition? LastAnswered = null) : IDeadLetterSuppression;

    public sealed record ConsentRecorded(string UserId, string RequestId) : IDeadLetterSuppression;

    /// <summary>Redis could not be reached: nothing is acknowledged, the request is retried.</summary>
    public sealed record PrivacyFailed(string UserId, string RequestId, string Reason) : IDeadLetterSuppression;
}
