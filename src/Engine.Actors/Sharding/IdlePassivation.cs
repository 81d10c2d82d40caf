using Akka.Actor;
using Akka.Cluster.Sharding;
using Engine.Actors.Pipeline;
using Engine.Models.Features;

namespace Engine.Actors.Sharding;

/// <summary>
/// When an idle entity may stop: after <paramref name="After"/> without a message, and only once Redis holds every change
/// it answered with. Sharding's own idle passivation stopped it regardless: while Redis stalled or refused writes but
/// answered reads, an entity stopped with changes still on their way reloaded without them on its next event, and its
/// next write (absolute values) overwrote them for good, behind offsets already committed. The entity looks again at each
/// check, so it stops once the flushes have caught up.
/// A periodic timer per entity rather than a receive timeout: a receive timeout is cancelled and scheduled again on every
/// message, an allocation and a scheduler call per event on the hot path; this costs a clock read per message.
/// </summary>
/// <param name="Durable">The offsets Redis holds for the stream that feeds these entities.</param>
/// <param name="Partitions">The input topic's partitions (murmur2 of the entity id, as its events are keyed): with it, an entity
/// waits before it loads until Redis holds what remote entities answered this node's stream for its partition
/// (<see cref="LoadWhenCaughtUpAsync"/>); null: it does not.</param>
/// <param name="LoadWait">The longest such a wait (default 5 s): such a flush lands within milliseconds, or fails and
/// ends its writer (which forgets it), unless Redis stalls; past it the load fails (the entity answers not ready, and the
/// stream starts again from its commit) rather than load a state that flush is missing from.</param>
public sealed record IdlePassivation(TimeSpan After, DurableOffsets Durable, int? Partitions = null, TimeSpan? LoadWait = null)
{
    /// <summary>Before an entity loads: waits (bounded) until Redis holds what remote entities answered this node's stream for the entity's partition.</summary>
    public Task LoadWhenCaughtUpAsync(string entityId) => Partitions is { } n
        ? Durable.CaughtUpAsync(Engine.Models.Routing.KafkaPartitioner.Partition(entityId, n), entityId, LoadWait ?? TimeSpan.FromSeconds(5))
        : Task.CompletedTask;

    private const string TimerKey = "idle-check";

    /// <summary>Call from the entity's <c>PreStart</c>: an <see cref="IdleCheck"/> arrives every half idle period.</summary>
    public void Watch(ITimerScheduler timers) => timers.StartPeriodicTimer(TimerKey, IdleCheck.Instance, After / 2);

    /// <summary>
    /// On <see cref="IdleCheck"/>: asks the shard to stop the entity once it has been idle long enough and nothing it answered
    /// still waits for Redis.
    /// </summary>
    /// <param name="lastActiveMs">The entity's last message, by <see cref="Environment.TickCount64"/>.</param>
    /// <param name="lastAnswered">The position of the latest event the entity answered (null: none since it started).</param>
    public void Check(IActorContext context, ITimerScheduler timers, long lastActiveMs, EventPosition? lastAnswered)
    {
        if (Environment.TickCount64 - lastActiveMs < (long)After.TotalMilliseconds || !MayStop(lastAnswered)) return;
        timers.Cancel(TimerKey);
        // Not a PoisonPill: the actor cell takes that before any behaviour sees it, so an entity that had meanwhile begun to
        // save a consent (a state that stashes) stopped with the events behind it unanswered (before 2026-12-07, review).
        context.Parent.Tell(new Passivate(HandOffStop.Instance));
    }

    public bool MayStop(EventPosition? lastAnswered) => lastAnswered is not { } position || Durable.Covers(position);

    /// <summary>
    /// Call from the entity's <c>PostStop</c>: an answer Redis does not hold yet (an event already in the mailbox when the
    /// entity asked to passivate, a stop by a shard handover) is waited for by its next incarnation to load here.
    /// Before 2026-12-06 the next incarnation could load without it, and its next write (absolute values) erased it.
    /// </summary>
    public void Stopped(string entityId, EventPosition? lastAnswered)
    {
        if (lastAnswered is { } position && !Durable.Covers(position)) Durable.AwaitBeforeLoading(position.Partition, entityId, position.Offset);
    }
}

/// <summary>The entity's periodic look at whether it may passivate (<see cref="IdlePassivation"/>).</summary>
public sealed class IdleCheck
{
    public static readonly IdleCheck Instance = new();

    private IdleCheck() { }
}
