using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Features;

/// <summary>
/// The item slices an owner holds in memory, by partition then item id, and how an item event changes them. A string
/// key with the ordinal comparer hashes without randomisation; an (item, slice) tuple would hash its string with the
/// randomised hash on every lookup. Shared by the engine's <see cref="ItemSliceOwner"/> and <see cref="FeatureWriteBehind"/>.
/// </summary>
/// <param name="metrics">Where an event late for its item's slice is counted (its user may not have judged it late).</param>
public sealed class ItemSliceIndex(FeatureMetrics? metrics = null)
{
    private Dictionary<string, ItemFeatureState>?[] _byPartition = [];

    /// <summary>The slices held.</summary>
    public int Count { get; private set; }

    public bool Contains(string item, int partition) =>
        partition < _byPartition.Length && _byPartition[partition] is { } slices && slices.ContainsKey(item);

    /// <summary>Holds a loaded slice (one already held stays: loads only ask for missing ones).</summary>
    public void Add(ItemFeatureState slice)
    {
        var partition = slice.Slice!.Value;
        if (partition >= _byPartition.Length) Array.Resize(ref _byPartition, partition + 1);
        if ((_byPartition[partition] ??= new(StringComparer.Ordinal)).TryAdd(slice.Id, slice)) Count++;
    }

    public void Clear()
    {
        _byPartition = [];
        Count = 0;
    }

    /// <summary>Every slice held, by item and partition.</summary>
    public IEnumerable<KeyValuePair<(string Item, int Slice), ItemFeatureState>> All()
    {
        for (var partition = 0; partition < _byPartition.Length; partition++)
        {
            if (_byPartition[partition] is not { } slices) continue;
            foreach (var (item, slice) in slices) yield return new((item, partition), slice);
        }
    }

    /// <summary>
    /// Counts an item event in its item's slice and, for a product view, a co-visit in the slice of each item viewed
    /// earlier in the session; <paramref name="track"/> hears every slice touched and how. All must be held.
    /// </summary>
    public void Apply(ClickEvent e, EventPosition position, IReadOnlyList<string> coVisited, Action<ItemFeatureState, ApplyOutcome> track)
    {
        var itemId = e.ItemId!;
        var slices = _byPartition[position.Partition]!;
        var item = slices[itemId];
        var outcome = item.Apply(e, position, coVisited);
        if (outcome == ApplyOutcome.Late) metrics?.CountItemLate();
        track(item, outcome);
        // The viewed item's slice decides the whole pair: it counted this view already (with the co-visits it had then), so its
        // neighbours add none now. Apart, a view replayed on another node without its co-visits, then re-applied here, paired in
        // one direction only (before 2026-12-07; review).
        if (outcome == ApplyOutcome.Duplicate) return;
        var viewedAtMs = e.EventTime.ToUnixTimeMilliseconds();
        foreach (var other in coVisited)
        {
            var neighbour = slices[other];
            track(neighbour, neighbour.AddCoVisit(itemId, position, viewedAtMs));
        }
    }
}
