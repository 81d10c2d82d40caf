using Akka.Event;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Users;

/// <summary>Messages to and from <see cref="UserActor"/>.</summary>
public static class UserProtocol
{
    /// <summary>Apply one clickstream event and decide (reply: <see cref="Pipeline.EntityHandled"/>). <paramref name="ReceivedAt"/> starts the bid's <c>tmax</c> clock: when the request reached Kafka (<see cref="Pipeline.KafkaArrival"/>), or, in replays faster than real time, when the node took it in (<see cref="Pipeline.DecisionPipelineSettings.TmaxFromIntake"/>).</summary>
    public sealed record RecordEvent(string UserId, ClickEvent Event, EventPosition Position, DateTimeOffset ReceivedAt) : IShardedMessage
    {
        public string EntityId => UserId;

        /// <summary>A later page event of the user's session was read with this one and carries the list instead (<see cref="Pipeline.ListConflation"/>).</summary>
        public bool ListSuperseded { get; init; }
    }

    /// <summary>Re-score churn as of <paramref name="AsOf"/> (event time), for users who went quiet. Sent by the churn sweeper.</summary>
    public sealed record CheckChurn(string UserId, DateTimeOffset AsOf, string TickId) : IShardedMessage
    {
        public string EntityId => UserId;
    }

    /// <summary>
    /// The answer to a <see cref="CheckChurn"/>: the alert, if the check opened an episode; the segment of the user's latest
    /// event (a silent user's alert has no event of its own to carry it); and whether the user is still worth checking
    /// again: not once they do not consent to profiling, have no events left (erased, expired), or have been silent for
    /// <see cref="MaxWatchedSilence"/>. Before, such users were re-checked daily for ever, and their sealed ids never left
    /// the due-list. <paramref name="TickId"/>: the check answered (<see cref="CheckChurn.TickId"/>; null from a node of an
    /// earlier version).
    /// </summary>
    public sealed record ChurnChecked(string UserId, ChurnAlert? Alert, UserSegment Segment, bool StillWatched, string? TickId = null, bool Returning = true) : IDeadLetterSuppression;

    /// <summary>Silence after which a user who raised no alert is no longer checked (under the due-list's 35-day retention).</summary>
    public static readonly TimeSpan MaxWatchedSilence = TimeSpan.FromDays(30);

    /// <summary>
    /// Kafka has the churn alert <paramref name="DecisionId"/> a sweep raised: the user's episode is kept with their features
    /// from now on (not before: a crash in between would leave the user stored as alerted with no alert sent, and no later
    /// check would raise it). Sent by the churn sweeper; no reply.
    /// </summary>
    public sealed record ChurnAlertDelivered(string UserId, string DecisionId, string CausedBy) : IShardedMessage
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
