using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Features;

/// <summary>An item event of a clickstream partition and the items its user viewed earlier in the session (empty: none, or a replay).</summary>
public readonly record struct ItemEvent(ClickEvent Event, EventPosition Position, IReadOnlyList<string> CoVisited);

/// <summary>
/// The item slices of the clickstream partitions one pipeline stage consumes (docs/features.md, "Item slices"): each
/// batch loads the slices it lacks in one pipelined round trip, applies the item events and their co-visits, and drains
/// the changes as writes for the batch's own flush, so the partition offset that guards the users guards the slices too
/// (a replay is a duplicate for every slice, which records its partition's offsets). One owner per partition
/// substream: a rebalance starts a fresh owner, which loads what the previous one flushed. Not thread-safe.
/// </summary>
public sealed class ItemSliceOwner(FeatureStore store, int maxKept = ItemSliceOwner.DefaultMaxKept)
{
    /// <summary>
    /// Slices kept in memory between batches; past it, all are dropped (clean by then) and reload on next use. A slice
    /// takes 2.3 KB (a few events) to 5.4 KB (40 neighbours), measured: at most ~55 MB per partition stage.
    /// </summary>
    public const int DefaultMaxKept = 10_000;

    private readonly ItemSliceIndex _slices = new();
    private Action<ItemFeatureState, ApplyOutcome>? _track;
    // Each once, by its QueuedForDrain mark: no set lookup per event and slice.
    private readonly List<ItemFeatureState> _dirty = [];
    private readonly HashSet<(string Item, int Slice)> _missing = [];

    /// <summary>The slices held in memory.</summary>
    public int Kept => _slices.Count;

    /// <summary>
    /// Applies a batch's item events, in partition order, to their slices and returns the slices' changes (absolute
    /// values) to flush with the batch. The previous batch's writes must be acknowledged before this is called.
    /// </summary>
    public async Task<IReadOnlyList<EntityWrite>> ApplyAsync(IReadOnlyList<ItemEvent> events)
    {
        if (events.Count == 0) return [];
        // Every state is clean here (the previous batch was drained and flushed): dropping them loses nothing.
        if (_slices.Count > maxKept) _slices.Clear();
        await LoadMissingAsync(events);
        _track ??= Track;
        foreach (var (e, position, coVisited) in events) _slices.Apply(e, position, coVisited, _track);
        var writes = new List<EntityWrite>(_dirty.Count);
        foreach (var state in _dirty)
        {
            state.QueuedForDrain = false;
            if (store.Changes.Drain(state) is { } changes) writes.Add(new EntityWrite(EntityKind.Item, state.Id, changes, state.Slice));
        }
        _dirty.Clear();
        return writes;
    }

    /// <summary>Another owner has flushed these partitions past this one (a takeover): what is held here is stale.</summary>
    public void Forget()
    {
        _slices.Clear();
        _dirty.Clear();
    }

    private void Track(ItemFeatureState state, ApplyOutcome outcome)
    {
        // A late event moves the offsets too: they must reach Redis, or a replay would meet it again.
        if (outcome != ApplyOutcome.Duplicate && !state.QueuedForDrain)
        {
            state.QueuedForDrain = true;
            _dirty.Add(state);
        }
    }

    private async Task LoadMissingAsync(IReadOnlyList<ItemEvent> events)
    {
        _missing.Clear();
        foreach (var (e, position, coVisited) in events)
        {
            Need(e.ItemId!, position.Partition);
            foreach (var other in coVisited) Need(other, position.Partition);
        }
        if (_missing.Count == 0) return;
        foreach (var slice in await store.LoadItemSlicesAsync([.. _missing])) _slices.Add(slice);
    }

    private void Need(string item, int partition)
    {
        if (!_slices.Contains(item, partition)) _missing.Add((item, partition));
    }
}
