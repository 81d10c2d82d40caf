using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;

namespace Engine.Models.Tests.Experiments;

/// <summary>A campaign every user can be bid for, and users who browsed and then sent a bid request naming it.</summary>
internal static class Bidders
{
    public static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch.AddDays(20_000);

    /// <summary>A board with "camp-1" booked: in flight around <see cref="Start"/>, valuable enough that the champion always bids.</summary>
    public static CampaignBoard Board()
    {
        var board = new CampaignBoard();
        board.Book(new CampaignSpec
        {
            CampaignId = "camp-1", Budget = 1_000_000m, FlightStart = Start.AddDays(-30), FlightEnd = Start.AddDays(30),
            Category = "c", ValuePerClick = 500m, ValuePerConversion = 2_000m, MaxCpm = 1_000_000m,
        });
        return board;
    }

    /// <summary>Three product views, then a bid request for "camp-1" (applied too).</summary>
    public static (UserFeatureState User, ClickEvent Request) Bidder(string userId)
    {
        var user = new UserFeatureState(userId);
        for (var i = 0; i < 3; i++)
            user.Apply(new ClickEvent
            {
                EventId = $"{userId}-{i}", EventTime = Start.AddMinutes(i), UserId = userId, SessionId = userId + "-s",
                Type = EventType.ProductView, ItemId = $"item-{i}", Category = "c",
            }, new EventPosition(0, i));
        var request = new ClickEvent
        {
            EventId = userId + "-bid", EventTime = Start.AddMinutes(5), UserId = userId, SessionId = userId + "-s", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = userId + "-req", Imp = [new Impression { Id = "1", BidFloor = 0.01m }], CandidateCampaigns = ["camp-1"] },
        };
        user.Apply(request, new EventPosition(0, 3));
        return (user, request);
    }
}
