using Engine.Models.Contracts;
using Engine.Models.Features.State;

namespace Engine.Models.Features;

/// <summary>
/// One item's popularity (views, cart adds, purchases in minute and hour buckets) and its co-visited items:
/// the strongest <see cref="NeighboursKept"/> (up to twice as many are counted) items viewed in the same sessions. <see cref="ItemFeatures"/> reads it.
/// Items hear from every clickstream partition, so each partition's owner keeps its own <see cref="Slice"/> of an
/// item (its events only, its own clock and lateness); the item is the sum of its slices (<see cref="Merge"/>).
/// </summary>
public sealed class ItemFeatureState(string itemId, TimeSpan allowedLateness) : EntityFeatureState(itemId, allowedLateness)
{
    public const int Views = 0, Carts = 1, Purchases = 2;
    public const int NeighboursKept = 20;

    public ItemFeatureState(string itemId) : this(itemId, Resolutions.DefaultAllowedLateness) { }

    /// <summary>The clickstream partition whose events this state counts, or null for a whole item (a merged read).</summary>
    public int? Slice { get; init; }

    public BucketSeries Minutes { get; } = new("m", Resolutions.Minute, 60, 3);
    public BucketSeries Hours { get; } = new("h", Resolutions.Hour, 24, 3);
    public TopNeighbours Neighbours { get; } = new("n", NeighboursKept);

    /// <summary>
    /// Counts a view, cart add or purchase of this item in its event-time buckets, and records the items viewed
    /// earlier in the same session (<paramref name="coVisited"/>) as neighbours.
    /// </summary>
    public ApplyOutcome Apply(ClickEvent e, EventPosition position, IReadOnlyList<string>? coVisited = null)
    {
        var t = Millis(e.EventTime);
        var outcome = Admit(position, t);
        if (outcome == ApplyOutcome.Duplicate) return outcome;
        // Co-visitation has no window: a view late for this item's buckets still pairs with the session's earlier items,
        // as their slices pair with it (AddCoVisit), so each pair counts once in both directions.
        if (coVisited is not null) AddNeighbours(coVisited);
        if (outcome == ApplyOutcome.Late) return outcome;
        var metric = e.Type switch
        {
            EventType.ProductView => Views,
            EventType.AddToCart => Carts,
            EventType.Purchase => Purchases,
            _ => -1,
        };
        if (metric >= 0)
        {
            Minutes.Add(t, metric, 1, LastEventMs);
            Hours.Add(t, metric, 1, LastEventMs);
        }
        return outcome;
    }

    /// <summary>
    /// Records <paramref name="viewedItem"/>, viewed later in a session where this item was seen. Co-visitation has
    /// no window, so this moves only the offsets (replays stay no-ops), not the item's event-time clock.
    /// </summary>
    /// <param name="atMs">When the view was (what renews the slice's TTL, its clock unmoved); <see cref="EntityFeatureState.NoEvent"/>: unknown.</param>
    public ApplyOutcome AddCoVisit(string viewedItem, EventPosition position, long atMs = NoEvent)
    {
        var outcome = AdmitPosition(position);
        if (outcome == ApplyOutcome.Applied && viewedItem != Id) Neighbours.Add(viewedItem);
        if (outcome == ApplyOutcome.Applied) Touch(atMs);
        return outcome;
    }

    /// <summary>
    /// The whole item read from its slices: buckets and co-visit counts summed, the latest clock of any slice, the
    /// offsets of all. A read view, for reading features; never drained (it holds no slice's own fields).
    /// </summary>
    public static ItemFeatureState Merge(string itemId, TimeSpan allowedLateness, IEnumerable<ItemFeatureState> slices)
    {
        var merged = new ItemFeatureState(itemId, allowedLateness);
        foreach (var slice in slices)
        {
            merged.Minutes.AddAll(slice.Minutes);
            merged.Hours.AddAll(slice.Hours);
            merged.Neighbours.AddAll(slice.Neighbours);
            merged.Offsets.AddAll(slice.Offsets);
            merged.MergeClock(slice.LastEventMs);
        }
        return merged;
    }

    private void AddNeighbours(IReadOnlyList<string> items)
    {
        // Indexed: a foreach through the interface would allocate an enumerator per item event.
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] != Id) Neighbours.Add(items[i]);
        }
    }

    protected override void Prune(long watermarkMs)
    {
        Minutes.Prune(watermarkMs);
        Hours.Prune(watermarkMs);
    }

    protected override void DrainParts(EntityChanges changes)
    {
        Minutes.Drain(changes);
        Hours.Drain(changes);
        Neighbours.Drain(changes);
    }

    protected override void MarkAllParts()
    {
        Minutes.MarkAll();
        Hours.MarkAll();
        Neighbours.MarkAll();
    }

    protected override bool TryRestorePart(string field, string value) =>
        Minutes.TryRestore(field, value) || Hours.TryRestore(field, value) || Neighbours.TryRestore(field, value);
}
