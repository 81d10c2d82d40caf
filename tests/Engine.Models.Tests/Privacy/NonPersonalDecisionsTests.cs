using Engine.Models.Contracts;
using Engine.Models.Privacy;
using Engine.Models.Recommendations;

namespace Engine.Models.Tests.Privacy;

public sealed class NonPersonalDecisionsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private static NonPersonalDecisions Decisions()
    {
        // "hit" is in every session, so it is the most popular item; shoes and books are each other's neighbours only.
        var builder = new SessionIndexBuilder();
        for (var s = 0; s < 20; s++)
        {
            builder.Add($"s{s}", "hit", s * 10);
            builder.Add($"s{s}", (s % 2 == 0 ? "shoe-" : "book-") + s % 4, s * 10 + 1);
        }
        return new NonPersonalDecisions(new RecommendationCache(new SessionRecommender(builder.Build())), "recs-test", count: 3);
    }

    [Fact]
    public void Everyone_gets_the_same_popular_list_marked_non_personal_whatever_they_viewed()
    {
        var decisions = Decisions();
        var shoeFan = decisions.Recommend("u-1", new ClickEvent { EventId = "e-1", EventTime = T0, UserId = "u-1", Type = EventType.ProductView, ItemId = "shoe-0" });
        var bookFan = decisions.Recommend("u-2", new ClickEvent { EventId = "e-2", EventTime = T0, UserId = "u-2", Type = EventType.ProductView, ItemId = "book-1" });
        Assert.Equal(shoeFan.Items.Select(i => i.ItemId), bookFan.Items.Select(i => i.ItemId));
        Assert.Equal("hit", shoeFan.Items[0].ItemId);
        Assert.All(shoeFan.Items, i => Assert.Equal(SessionRecommender.Popular, i.Reason));
        Assert.Equal(NonPersonalDecisions.Factor, Assert.Single(shoeFan.Reasons).Factor);
        Assert.Equal(("u-1", DecisionIds.Derive("recommendation", "e-1")), (shoeFan.UserId, shoeFan.DecisionId));
    }

    [Fact]
    public void A_purchase_gets_the_popular_list_without_the_item_bought()
    {
        var decisions = Decisions();
        var list = decisions.Recommend("u-1", new ClickEvent { EventId = "e-4", EventTime = T0, UserId = "u-1", Type = EventType.Purchase, ItemId = "hit" });
        Assert.DoesNotContain("hit", list.Items.Select(i => i.ItemId));
        Assert.Equal(3, list.Items.Count);
        // Everyone else still gets the whole list, the bought item first.
        var view = decisions.Recommend("u-2", new ClickEvent { EventId = "e-5", EventTime = T0, UserId = "u-2", Type = EventType.ProductView, ItemId = "hit" });
        Assert.Equal("hit", view.Items[0].ItemId);
        Assert.Equal(view.Items.Skip(1).Select(i => i.ItemId), list.Items.Take(2).Select(i => i.ItemId));
    }

    [Fact]
    public void A_bid_request_gets_a_no_bid_for_lack_of_consent()
    {
        var request = new BidRequest { Id = "br-1", Imp = [new Impression { Id = "1", BidFloor = 0.5m }], CandidateCampaigns = ["c-1"], Tmax = 100 };
        var decision = Decisions().NoBid("u-1", new ClickEvent { EventId = "e-3", EventTime = T0, UserId = "u-1", Type = EventType.BidRequest, BidRequest = request }, T0);
        Assert.False(decision.Bid);
        Assert.Equal(NoBidReason.NoConsent, decision.Nbr);
        Assert.Equal(("br-1", DecisionIds.Derive("bid", "br-1")), (decision.RequestId, decision.DecisionId));
        Assert.Null(decision.CampaignId);
    }
}
