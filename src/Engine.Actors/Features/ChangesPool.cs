using Engine.Models.Features.State;

namespace Engine.Actors.Features;

/// <summary>
/// Reused <see cref="EntityChanges"/> (with their lists and value bytes) for the drains of the decision pipelines: an
/// actor drains each event's changes into one, and the partition's flush hands it back once Redis has acknowledged it
/// at the first attempt (no command of a timed-out attempt may still read its bytes). Without it every event allocates
/// its changes' lists and arena, which live until the flush and so reach gen1. Shared by the store's owners: locked
/// (an uncontended lock per rent and per return).
/// </summary>
public sealed class ChangesPool
{
    // As many as a node has in flight (the undurable bound is 10,000 events per partition, each a user and a few slices).
    private const int Kept = 32_768;
    private readonly Stack<EntityChanges> _spare = new();

    /// <summary>Empty changes, with their own arena.</summary>
    public EntityChanges Rent()
    {
        lock (_spare)
        {
            if (_spare.Count > 0) return _spare.Pop();
        }
        return new EntityChanges();
    }

    /// <summary>What <paramref name="state"/> changed since its last drain, in pooled changes; null (nothing rented) when nothing did.</summary>
    public EntityChanges? Drain(EntityFeatureState state)
    {
        var changes = Rent();
        state.DrainInto(changes);
        if (!changes.IsEmpty) return changes;
        Return(changes);
        return null;
    }

    // What one event's drain needs, with room: an entity's whole state (after a restart or a handover, thousands of fields
    // for a heavy user) is left to the collector, or the pool would hold every such drain's lists and bytes for the node's
    // lifetime (up to 32,768 of the largest ever seen).
    private const int MaxPooledFields = 256;
    private const long MaxPooledBytes = 16 * 1024;

    /// <summary>Takes back changes that nothing reads any more, emptied for the next drain (not kept when a whole state outgrew an event's size).</summary>
    public void Return(EntityChanges changes)
    {
        if (changes.Set.Capacity > MaxPooledFields || changes.Delete.Capacity > MaxPooledFields || changes.Values.Capacity > MaxPooledBytes) return;
        changes.Values.Reset();
        changes.Reset(changes.Values);
        lock (_spare)
        {
            if (_spare.Count < Kept) _spare.Push(changes);
        }
    }

    /// <summary>Takes back every write's changes (once Redis acknowledged them at the first attempt).</summary>
    public void Return(IEnumerable<EntityWrite> writes)
    {
        foreach (var write in writes) Return(write.Changes);
    }
}
