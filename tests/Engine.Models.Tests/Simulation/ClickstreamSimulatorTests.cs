using Engine.Models.Contracts;
using Engine.Models.Simulation;

namespace Engine.Models.Tests.Simulation;

public sealed class ClickstreamSimulatorTests
{
    private static readonly SimulatorOptions Small = new() { Seed = 7, Users = 200, Campaigns = 5, Items = 300, Categories = 6, Duration = TimeSpan.FromDays(7) };

    [Fact]
    public void The_same_seed_gives_the_same_events_and_truth()
    {
        var a = new ClickstreamSimulator(Small);
        var b = new ClickstreamSimulator(Small);
        Assert.Equal(a.Take(5_000).Select(ClickEventCodec.Encode).Select(Convert.ToBase64String), b.Take(5_000).Select(ClickEventCodec.Encode).Select(Convert.ToBase64String));
        Assert.Equal(a.World.Users.Select(u => (u.ChurnedAt, string.Join(",", u.PreferredCategories))), b.World.Users.Select(u => (u.ChurnedAt, string.Join(",", u.PreferredCategories))));
    }

    [Fact]
    public void Another_seed_gives_another_stream()
    {
        var a = new ClickstreamSimulator(Small).Take(200).Select(e => (e.UserId, e.ItemId));
        var b = new ClickstreamSimulator(Small with { Seed = 8 }).Take(200).Select(e => (e.UserId, e.ItemId));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Events_come_in_event_time_order_and_are_valid_contracts()
    {
        var previous = DateTimeOffset.MinValue;
        var count = 0;
        foreach (var e in new ClickstreamSimulator(Small))
        {
            Assert.True(e.EventTime >= previous, $"{e.EventId} at {e.EventTime:O} after {previous:O}");
            previous = e.EventTime;
            Assert.NotNull(ClickEventCodec.Decode(ClickEventCodec.Encode(e)).Event);
            count++;
        }
        Assert.True(count > 1_000, $"only {count} events");
    }

    [Fact]
    public void A_churned_user_has_no_session_starting_after_the_churn_time()
    {
        var simulator = new ClickstreamSimulator(Small);
        var churned = simulator.World.Users.Where(u => u.ChurnedAt is not null).ToDictionary(u => u.Id, u => u.ChurnedAt!.Value);
        Assert.NotEmpty(churned);
        // The first event of a session is its start; a session may run on a little past the churn instant.
        var starts = simulator.GroupBy(e => e.SessionId).Select(g => g.First());
        Assert.DoesNotContain(starts, e => churned.TryGetValue(e.UserId, out var at) && e.EventTime >= at);
    }

    [Fact]
    public void Bid_requests_name_only_campaigns_in_flight_and_impressions_follow_a_request()
    {
        var simulator = new ClickstreamSimulator(Small);
        var campaigns = simulator.World.Campaigns.ToDictionary(c => c.Id);
        var events = simulator.Take(20_000).ToList();
        var requests = events.Where(e => e.Type == EventType.BidRequest).ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.All(r.BidRequest!.CandidateCampaigns, c => Assert.True(campaigns[c].InFlight(r.EventTime))));
        Assert.Contains(events, e => e.Type == EventType.AdImpression);
        Assert.All(events.Where(e => e.Type == EventType.AdClick), e => Assert.NotNull(e.CampaignId));
    }
}
