using Akka.Actor;
using Engine.Models.Features.State;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Which of its partition's writers an entity last answered. A new one (the partition's next substream: after a restart,
/// or on another node after a rebalance, before the shard has moved) replays the events after the last commit, and the
/// entity may have answered some of them to the previous writer, whose flush may never reach Redis (it gave up in a Redis
/// outage, or its node died). Those replays are duplicates here, with no changes of their own: without more, their
/// features were lost for good behind the new writer's later offsets. So the entity's first answer to a new writer
/// carries its whole state, which replaces the stored key (<see cref="EntityFeatureState.MarkAllChanged"/>).
/// The writer is the ask's sender: each substream asks through a <see cref="ReplyInbox"/> of its own.
/// </summary>
public struct WriterHandover
{
    private IActorRef? _writer;

    /// <summary>The writer it last answered runs on another node (its partition moved there before its shard did).</summary>
    public readonly bool AnsweringElsewhere => _writer is IInternalActorRef { IsLocal: false };

    /// <summary>Call before the entity applies an event asked by <paramref name="asker"/> and drains its changes.</summary>
    public void Answering(IActorRef asker, EntityFeatureState state)
    {
        if (ReferenceEquals(asker, _writer)) return;
        // The first writer since the entity loaded needs nothing more: the state is what Redis held.
        if (_writer is not null && !asker.Equals(_writer)) state.MarkAllChanged();
        _writer = asker;
    }
}
