using Engine.Actors.Campaigns;
using Engine.Models.Contracts;
using static Engine.Actors.Campaigns.CampaignProtocol;

namespace Engine.Actors.Tests.Campaigns;

public sealed class CampaignPaceTickerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset NodeNow = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_tick_tells_every_campaign_in_its_flight_the_nodes_clock()
    {
        var catalog = new CampaignCatalog();
        catalog.Put(Spec("c-flying", NodeNow.AddHours(-1), NodeNow.AddHours(1)));
        catalog.Put(Spec("c-ended", NodeNow.AddDays(-2), NodeNow.AddDays(-1)));
        catalog.Put(Spec("c-later", NodeNow.AddHours(1), NodeNow.AddDays(1)));
        var campaigns = CreateTestProbe();

        Sys.ActorOf(CampaignPaceTicker.Props(campaigns, catalog, () => NodeNow, TimeSpan.FromMilliseconds(100)));

        Assert.Equal(new PaceIdle("c-flying", NodeNow), campaigns.ExpectMsg<PaceIdle>());
        Assert.Equal(new PaceIdle("c-flying", NodeNow), campaigns.ExpectMsg<PaceIdle>()); // the next tick: only the campaign in its flight
    }

    [Fact]
    public void The_nodes_clock_is_the_earliest_of_its_partitions_and_none_before_it_consumes()
    {
        var clock = new Engine.Actors.Pipeline.PartitionClock();
        var catalog = new CampaignCatalog();
        catalog.Put(Spec("c-flying", NodeNow.AddHours(-1), NodeNow.AddHours(1)));
        var campaigns = CreateTestProbe();
        Sys.ActorOf(CampaignPaceTicker.Props(campaigns, catalog, CampaignPaceTicker.EarliestOf(clock), TimeSpan.FromMilliseconds(100)));
        campaigns.ExpectNoMsg(TimeSpan.FromMilliseconds(400)); // no partition read yet: no clock

        // Behind a backlog the slowest partition holds the clock back: a campaign's impressions may wait there.
        clock.Advance(0, NodeNow.ToUnixTimeMilliseconds());
        clock.Advance(1, NodeNow.AddMinutes(-20).ToUnixTimeMilliseconds());
        Assert.Equal(new PaceIdle("c-flying", NodeNow.AddMinutes(-20)), campaigns.ExpectMsg<PaceIdle>());
    }

    private static CampaignSpec Spec(string id, DateTimeOffset start, DateTimeOffset end) =>
        new() { CampaignId = id, Budget = 100m, FlightStart = start, FlightEnd = end, ValuePerClick = 1m };
}
