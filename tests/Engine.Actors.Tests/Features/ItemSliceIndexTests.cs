using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Tests.Features;

public sealed class ItemSliceIndexTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A view its item's slice counted already (another node replayed it without its co-visits, and wrote that slice): re-applied
    /// here, it adds no co-visit to its neighbours either, so the pair is counted in both directions or in none. Before
    /// 2026-12-07 the neighbour counted it alone (review).
    /// </summary>
    [Fact]
    public void A_view_its_items_slice_counted_already_adds_no_co_visit_to_its_neighbours()
    {
        var index = new ItemSliceIndex();
        var (viewed, neighbour) = (new ItemFeatureState("j") { Slice = 0 }, new ItemFeatureState("i") { Slice = 0 });
        viewed.Restore([KeyValuePair.Create("o:0", "10")]);
        neighbour.Restore([KeyValuePair.Create("o:0", "5")]);
        index.Add(viewed);
        index.Add(neighbour);
        var outcomes = new List<(string Item, ApplyOutcome Outcome)>();

        var view = new ClickEvent { EventId = "v", EventTime = T0, UserId = "u", SessionId = "s", Type = EventType.ProductView, ItemId = "j", Category = "c" };
        index.Apply(view, new EventPosition(0, 10), ["i"], (slice, outcome) => outcomes.Add((slice.Id, outcome)));

        Assert.Equal([("j", ApplyOutcome.Duplicate)], outcomes);
        Assert.Empty(neighbour.Neighbours.Top(5));
        // A new view pairs both ways.
        index.Apply(view with { EventId = "v2" }, new EventPosition(0, 11), ["i"], (_, _) => { });
        Assert.Equal([("j", 1L)], neighbour.Neighbours.Top(5));
    }
}
