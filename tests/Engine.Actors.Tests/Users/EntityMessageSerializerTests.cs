using Akka.Actor;
using Akka.Serialization;
using Engine.Actors.Campaigns;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Tests.Users;

/// <summary>What crosses nodes between a stream and an entity survives the wire, with the serializer the engine binds.</summary>
public sealed class EntityMessageSerializerTests() : Akka.TestKit.Xunit2.TestKit(EntityMessageSerializer.Config)
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Commands_and_replies_round_trip_through_the_bound_serializer()
    {
        var view = new ClickEvent { EventId = "e-1", EventTime = T0, UserId = "u-1", Type = EventType.ProductView, ItemId = "i-3", Category = "shoes" };
        var changes = new EntityChanges { RenewTtl = true };
        changes.Set.Add(new("m:123", "4"));
        changes.Delete.Add("m:60");
        var recommendation = new Recommendation
        {
            DecisionId = "d-1", CausedBy = "e-1", DecidedAt = T0, ModelVersion = "recs-1", Reasons = [new Reason("views", 3, 0.2)], UserId = "u-1",
            Items = [new RecommendedItem("i-4", 0.7, "co-viewed")],
        };
        var handled = new EntityHandled(EntityKind.User, "u-1", [recommendation], changes, ApplyOutcome.Applied, 1, CoVisited: ["i-2", "i-1"],
            Position: new EventPosition(2, 9_000_000_001));

        var record = RoundTrip(new UserProtocol.RecordEvent("u-1", view, new EventPosition(3, 42), T0));
        Assert.Equal(("u-1", new EventPosition(3, 42), T0, "i-3", false), (record.UserId, record.Position, record.ReceivedAt, record.Event.ItemId, record.ListSuperseded));
        var superseded = new UserProtocol.RecordEvent("u-1", view, new EventPosition(3, 43), T0) { ListSuperseded = true };
        Assert.True(RoundTrip(superseded).ListSuperseded);
        Assert.False(Cut(superseded, bytes: 1).ListSuperseded); // from a node of the version before: every page event gets its list
        var campaign = RoundTrip(new CampaignProtocol.RecordCampaignEvent("c-1", view with { CampaignId = "c-1" }, new EventPosition(1, 7), new EventPosition(3, 41)));
        Assert.Equal(("c-1", "c-1", new EventPosition(1, 7), new EventPosition(3, 41)), (campaign.CampaignId, campaign.Event.CampaignId, campaign.Position, campaign.Origin));
        Assert.Null(RoundTrip(new CampaignProtocol.RecordCampaignEvent("c-1", view with { CampaignId = "c-1" }, new EventPosition(1, 8))).Origin);
        Assert.Equal(new UserProtocol.CheckChurn("u-1", T0, "sweep:1"), RoundTrip(new UserProtocol.CheckChurn("u-1", T0, "sweep:1")));
        Assert.Equal(new CampaignProtocol.PaceIdle("c-1", T0), RoundTrip(new CampaignProtocol.PaceIdle("c-1", T0)));
        Assert.Equal(new UserProtocol.ChurnAlertUndelivered("u-1", "d-7"), RoundTrip(new UserProtocol.ChurnAlertUndelivered("u-1", "d-7")));
        Assert.Equal(new UserProtocol.ChurnAlertDelivered("u-1", "d-7", "sweep:0:1"), RoundTrip(new UserProtocol.ChurnAlertDelivered("u-1", "d-7", "sweep:0:1")));
        var quiet = new UserProtocol.ChurnChecked("u-1", null, new UserSegment("mobile", null), StillWatched: false);
        Assert.Equal(quiet, RoundTrip(quiet));
        var alerted = RoundTrip(new UserProtocol.ChurnChecked("u-1", new ChurnAlert
        {
            DecisionId = "d-9", CausedBy = "sweep:0:1", DecidedAt = T0, ModelVersion = "churn-1", Reasons = [], UserId = "u-1", Probability = 0.9, Threshold = 0.7,
        }, new UserSegment(null, "eu-west"), StillWatched: true, TickId: "sweep:0:1"));
        Assert.Equal(("d-9", 0.9, "eu-west", true, "sweep:0:1", true), (alerted.Alert!.DecisionId, alerted.Alert.Probability, alerted.Segment.Region, alerted.StillWatched, alerted.TickId, alerted.Returning));
        Assert.False(RoundTrip(quiet with { TickId = "sweep:0:2", Returning = false }).Returning); // a first-session user, for fairness's tenure
        // From a node of the version before (no tenure flag) or before that (no tick id either): read as returning, as they counted.
        var sent = quiet with { TickId = "sweep:0:2", Returning = false };
        Assert.Equal(sent with { Returning = true }, Cut(sent, bytes: 1));
        Assert.Equal(sent with { TickId = null, Returning = true }, Cut(sent, bytes: 1 + 1 + "sweep:0:2".Length));
        Assert.Equal(new StopEntity("u-1"), RoundTrip(new StopEntity("u-1")));
        Assert.Equal(new StopEntity("u-1", UnlessAnsweringElsewhere: true), RoundTrip(new StopEntity("u-1", UnlessAnsweringElsewhere: true)));
        Assert.Equal(new EntityStopping("u-1", Stops: false), RoundTrip(new EntityStopping("u-1", Stops: false)));
        Assert.Equal(new EntityNotReady("u-1", "redis down"), RoundTrip(new EntityNotReady("u-1", "redis down")));
        Assert.Equal(new EntityFailed(new EventPosition(3, 120455), "failed: the campaign actor threw X"), RoundTrip(new EntityFailed(new EventPosition(3, 120455), "failed: the campaign actor threw X")));

        var back = RoundTrip(handled);
        Assert.Equal((EntityKind.User, "u-1", ApplyOutcome.Applied, 1), (back.Kind, back.EntityId, back.Outcome, back.DroppedLateBids));
        var decision = Assert.IsType<Recommendation>(Assert.Single(back.Decisions));
        Assert.Equal(("d-1", "i-4", "co-viewed", 3.0), (decision.DecisionId, decision.Items[0].ItemId, decision.Items[0].Reason, decision.Reasons[0].Value));
        Assert.Equal(changes.Set, back.Changes!.Set);
        Assert.Equal(changes.Delete, back.Changes.Delete);
        Assert.True(back.Changes.RenewTtl);
        Assert.False(back.Changes.Replace);
        var whole = new EntityChanges { Replace = true };
        whole.Set.Add(new("o:2", "9"));
        var replaced = RoundTrip(handled with { Changes = whole }).Changes!;
        Assert.Equal((true, false, whole.Set[0]), (replaced.Replace, replaced.RenewTtl, replaced.Set[0]));
        Assert.Null(back.Segment);
        Assert.Equal(["i-2", "i-1"], back.CoVisited!);
        Assert.Equal(new EventPosition(2, 9_000_000_001), back.Position);
        Assert.False(back.ListLeftToLater);
        Assert.True(RoundTrip(handled with { ListLeftToLater = true }).ListLeftToLater);
        Assert.False(Cut(handled with { ListLeftToLater = true }, bytes: 1).ListLeftToLater); // from a node of the version before
        var checkedSilence = RoundTrip(new EntityHandled(EntityKind.User, "u-1", [], null, ApplyOutcome.Duplicate, Returning: true,
            Segment: new UserSegment("mobile", null)));
        Assert.Equal((true, new UserSegment("mobile", null)), (checkedSilence.Returning, checkedSilence.Segment));
        Assert.Null(checkedSilence.CoVisited);
        Assert.Null(checkedSilence.Position);
    }

    /// <summary>The message as a node of an earlier version wrote it: without its last <paramref name="bytes"/>.</summary>
    private T Cut<T>(T message, int bytes) where T : class
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var written = serializer.ToBinary(message);
        return Assert.IsType<T>(Sys.Serialization.Deserialize(written[..^bytes], serializer.Identifier, Serialization.ManifestFor(serializer, message)));
    }

    private T RoundTrip<T>(T message) where T : class
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<EntityMessageSerializer>(serializer);
        var manifest = Serialization.ManifestFor(serializer, message);
        return Assert.IsType<T>(Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest));
    }
}
