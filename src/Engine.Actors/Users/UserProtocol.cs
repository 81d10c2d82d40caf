using Engine.Actors.Sharding;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Users;

/// <summary>Messages to and from <see cref="UserActor"/>.</summary>
public static class UserProtocol
{
    /// <summary>Apply one clickstream event and decide (reply: <see cref="Pipeline.EntityHandled"/>). <paramref name="ReceivedAt"/> starts the bid's <c>tmax</c> clock.</summary>
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
    /// The churn alert <paramref name="DecisionId"/> could not be sent: the user's episode re-arms, so the next check raises
    /// it again (same id: it is derived from the user's last event). Sent by the churn sweeper; no reply.
    /// </summary>
    public sealed record ChurnAlertUndelivered(string UserId, string DecisionId) : IShardedMessage
    {
        public string EntityId => UserId;
    }

}
