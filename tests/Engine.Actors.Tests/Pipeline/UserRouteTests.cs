using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Tests.Pipeline;

public sealed class UserRouteTests
{
    private static readonly DateTime Arrived = new(2026, 12, 7, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// A bid request the exchange stamped 20 minutes ahead of its arrival, then the user's purchase stamped at its arrival five
    /// minutes on: the ahead stamp is capped at its arrival, so the purchase is not late. Before 2026-12-07 it moved the user's
    /// clock to 12:20 and the purchase at 12:05, more than the 10 minutes' lateness behind, was dropped, counted nowhere.
    /// </summary>
    [Fact]
    public void A_users_event_stamped_ahead_of_its_arrival_takes_its_arrival_and_leaves_the_users_next_events_on_time()
    {
        var route = EntityRoute.Users(campaignEventsTopic: null);
        var bid = new ClickEvent
        {
            EventId = "b", EventTime = new DateTimeOffset(Arrived.AddMinutes(20)), UserId = "u", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = "r", Imp = [new Impression { Id = "1" }], CandidateCampaigns = [] },
        };
        var purchase = new ClickEvent
        {
            EventId = "p", EventTime = new DateTimeOffset(Arrived.AddMinutes(5)), UserId = "u", SessionId = "s", Type = EventType.Purchase,
            ItemId = "i", Price = 10, Quantity = 1,
        };

        // As it came, the purchase would be late behind the bid's stamp: what the cap prevents.
        var uncapped = new UserFeatureState("u", TimeSpan.FromMinutes(10));
        uncapped.Apply(bid, new EventPosition(0, 0));
        Assert.Equal(ApplyOutcome.Late, uncapped.Apply(purchase, new EventPosition(0, 1)));

        var state = new UserFeatureState("u", TimeSpan.FromMinutes(10));
        var capped = Routed(route, bid, Arrived, offset: 0);
        Assert.Equal(new DateTimeOffset(Arrived), capped.EventTime);
        Assert.Equal(ApplyOutcome.Applied, state.Apply(capped, new EventPosition(0, 0)));
        var onTime = Routed(route, purchase, Arrived.AddMinutes(5), offset: 1);
        Assert.Same(purchase, onTime); // not ahead: passed as it came
        Assert.Equal(ApplyOutcome.Applied, state.Apply(onTime, new EventPosition(0, 1)));
    }

    private static ClickEvent Routed(EntityRoute route, ClickEvent evt, DateTime arrivedUtc, long offset)
    {
        var value = ClickEventCodec.Encode(evt);
        var kafka = new KafkaRecord(Topics.Clickstream, 0, offset, "u"u8.ToArray(), value, arrivedUtc);
        var record = new DecodedRecord(new CommittableMessage(kafka, new CommittableOffset("g", Topics.Clickstream, 0, offset)), ClickEventCodec.Decode(value),
            arrivedUtc.AddMilliseconds(5));
        return Assert.IsType<UserProtocol.RecordEvent>(route.Message(evt, record, DateTimeOffset.UtcNow)).Event;
    }
}
