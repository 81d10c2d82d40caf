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
/// <param name="maxAge">How long slices stay in memory before they are read again (default <see cref="DefaultMaxAge"/>).</param>
public sealed class ItemSliceOwner(FeatureStore store, int maxKept = ItemSliceOwner.DefaultMaxKept, TimeSpan? maxAge = null)
{
    /// <summary>
    /// Slices kept in memory between batches; past it, all are dropped (clean by then) and reload on next use. A slice
    /// takes 2.3 KB (a few events) to 5.4 KB (40 neighbours), measured: at most ~55 MB per partition stage.
    /// </summary>
    public const int DefaultMaxKept = 10_000;

    /// <summary>
    /// A day: a slice's key expires a month after its last TTL renewal (renewed at most once a day), and one held in memory
    /// past that wrote only its changed fields onto a fresh key, next to counts Redis no longer had; held for the stage's
    /// life (a small catalogue never reaches <see cref="DefaultMaxKept"/>), memory and Redis parted for good (before
    /// 2026-12-07, review). Read again daily, memory is never more than a day ahead of what Redis holds.
    /// </summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromDays(1);

    private readonly long _maxAgeMs = (long)(maxAge ?? DefaultMaxAge).TotalMilliseconds;
    private long _loadedSinceMs = Environment.TickCount64;

    private readonly ItemSliceIndex _slices = new(store.Metrics);
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
        if (_slices.Count > maxKept || Environment.TickCount64 - _loadedSinceMs > _maxAgeMs)
        {
            _slices.Clear();
            _loadedSinceMs = Environment.TickCount64;
        }
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
