using Akka.Event;
using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Pipeline;

/// <summary>
/// What a user or campaign actor answers for one event: the decisions to emit and the feature changes to write
/// behind (absolute values; null when nothing changed). The stream commits the event's offset only once both are acknowledged.
/// <paramref name="Returning"/>: the user had events before this one (new vs returning, for fairness monitoring).
/// <paramref name="Segment"/>: on a churn check, the segment of the user's latest event (a silent user's alert has no event to carry it).
/// <paramref name="CoVisited"/>: on a product view, the other items the user viewed earlier in the session (the latest 5) when
/// it was first applied (a replay of one of the user's latest views repeats them): the stream counts them as the viewed
/// item's co-visits in its item slices, once per position (<see cref="ItemSliceOwner"/>).
/// <paramref name="Position"/>: the event's, echoed from the request: the stream's <see cref="ReplyInbox"/> matches the answer to its ask by it.
/// <paramref name="ListLeftToLater"/>: the user's page event sent no list, leaving it to a later click of the session read with it
/// (<see cref="ListConflation"/>; only for a user who consents to personalisation: an opted-out user's popular list ignores it).
/// Like every answer of an entity to an ask, not logged as a dead letter when its asker is gone: Akka's line would name the
/// sender's path, which ends with the user id (docs/privacy.md).
/// </summary>
public sealed record EntityHandled(
    EntityKind Kind, string EntityId, IReadOnlyList<IDecision> Decisions, EntityChanges? Changes, ApplyOutcome Outcome, int DroppedLateBids = 0,
    bool Returning = false, UserSegment? Segment = null, IReadOnlyList<string>? CoVisited = null, EventPosition? Position = null,
    bool ListLeftToLater = false) : IDeadLetterSuppression;

/// <summary>The segment fields of a user's latest event (null when it carried none).</summary>
public sealed record UserSegment(string? Device, string? Region);

/// <summary>The entity could not load its state: the stream fails and restarts from the last commit (the entity restarts too).</summary>
public sealed record EntityNotReady(string EntityId, string Reason) : IDeadLetterSuppression;

/// <summary>
/// The entity threw while handling the event at <paramref name="Position"/> (a bug, or an input no rule refused): the
/// stream dead-letters that event with <paramref name="Reason"/> and goes on, where an unanswered ask would fail the
/// stream, and its restart replay the same event, for ever. The entity reloads its state once Redis holds what it
/// answered before (<see cref="Sharding.EntityRecovery"/>), or stops if it failed before its state was loaded.
/// </summary>
public sealed record EntityFailed(EventPosition Position, string Reason) : IDeadLetterSuppression
{
    public static EntityFailed Of(string entity, EventPosition position, Exception e) =>
        new(position, $"failed: the {entity} actor threw {e.GetType().Name} on this event ({e.Message}); kept here to replay once fixed");
}
