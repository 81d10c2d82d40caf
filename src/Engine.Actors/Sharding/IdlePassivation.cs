using Akka.Actor;
using Akka.Cluster.Sharding;
using Engine.Actors.Pipeline;
using Engine.Models.Features;

namespace Engine.Actors.Sharding;

/// <summary>
/// When an idle entity may stop: after <paramref name="After"/> without a message, and only once Redis holds every change
/// it answered with. Sharding's own idle passivation stopped it regardless: while Redis stalled or refused writes but
/// answered reads, an entity stopped with changes still on their way reloaded without them on its next event, and its
/// next write (absolute values) overwrote them for good, behind offsets already committed. The entity asks again after
/// each further idle period, so it stops once the flushes have caught up.
/// </summary>
/// <param name="Durable">The offsets Redis holds for the stream that feeds these entities.</param>
public sealed record IdlePassivation(TimeSpan After, DurableOffsets Durable)
{
    /// <summary>Call from the entity's <c>PreStart</c>: its <see cref="ReceiveTimeout"/> fires after each idle period.</summary>
    public void Watch(IActorContext context) => context.SetReceiveTimeout(After);

    /// <summary>On <see cref="ReceiveTimeout"/>: asks the shard to stop the entity if nothing it answered still waits for Redis.</summary>
    /// <param name="lastAnswered">The position of the latest event the entity answered (null: none since it started).</param>
    public void Idle(IActorContext context, EventPosition? lastAnswered)
    {
        if (MayStop(lastAnswered)) context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    public bool MayStop(EventPosition? lastAnswered) => lastAnswered is not { } position || Durable.Covers(position);
}
