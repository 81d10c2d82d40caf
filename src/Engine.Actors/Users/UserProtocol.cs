using Engine.Actors.Sharding;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Users;

/// <summary>Messages to and from <see cref="UserActor"/>.</summary>
public static class UserProtocol
{
    /// <summary>Apply one clickstream event and decide. <paramref name="ReceivedAt"/> starts the bid's <c>tmax</c> clock.</summary>
    public sealed record RecordEvent(string UserId, ClickEvent Event, EventPosition Position, DateTimeOffset ReceivedAt) : IShardedMessage
    {
        public string EntityId => UserId;
    }

    /// <summary>Re-score churn as of <paramref name="AsOf"/> (event time), for users who went quiet. Sent by the churn sweeper.</summary>
    public sealed record CheckChurn(string UserId, DateTimeOffset AsOf, string TickId) : IShardedMessage
    {
        public string EntityId => UserId;
    }

    /// <summary>
    /// The reply to <see cref="RecordEvent"/> and <see cref="CheckChurn"/>: what to emit, and the feature changes to
    /// write behind (absolute values, null when nothing changed). Offsets are committed only once both are acknowledged.
    /// </summary>
    public sealed record Handled(string UserId, IReadOnlyList<IDecision> Decisions, EntityChanges? Changes, ApplyOutcome Outcome, int DroppedLateBids = 0);

    /// <summary>The user's state could not be loaded: the stream retries the event (the actor stops and restarts on the next message).</summary>
    public sealed record NotReady(string UserId, string Reason);
}
