using Engine.Models.Contracts;
using Engine.Models.Features.State;

namespace Engine.Models.Features;

/// <summary>
/// One item's popularity (views, cart adds, purchases in minute and hour buckets) and its co-visited items:
/// the top <see cref="NeighboursKept"/> items viewed in the same sessions. <see cref="ItemFeatures"/> reads it.
/// </summary>
public sealed class ItemFeatureState(string itemId, TimeSpan allowedLateness) : EntityFeatureState(itemId, allowedLateness)
{
    public const int Views = 0, Carts = 1, Purchases = 2;
    public const int NeighboursKept = 20;

    public ItemFeatureState(string itemId) : this(itemId, Resolutions.DefaultAllowedLateness) { }

    public BucketSeries Minutes { get; } = new("m", Resolutions.Minute, 60, 3);
    public BucketSeries Hours { get; } = new("h", Resolutions.Hour, 24, 3);
    public TopNeighbours Neighbours { get; } = new("n", NeighboursKept);

    /// <summary>
    /// Counts <paramref name="e"/> if it is about this item, and records each of <paramref name="coVisited"/> as a
    /// neighbour: for the viewed item, the session's earlier items; for each of those, the viewed item.
    /// </summary>
    public ApplyOutcome Apply(ClickEvent e, EventPosition position, IReadOnlyList<string>? coVisited = null)
    {
        var t = Millis(e.EventTime);
        var outcome = Admit(position, t);
        if (outcome != ApplyOutcome.Applied) return outcome;
        if (e.ItemId == Id)
        {
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
        }
        if (coVisited is null) return outcome;
        foreach (var other in coVisited)
        {
            if (other != Id) Neighbours.Add(other);
        }
        return outcome;
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

    protected override bool TryRestorePart(string field, string value) =>
        Minutes.TryRestore(field, value) || Hours.TryRestore(field, value) || Neighbours.TryRestore(field, value);
}
