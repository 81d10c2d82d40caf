using Engine.Actors.Sharding;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Campaigns;

/// <summary>Messages to and from <see cref="CampaignActor"/>.</summary>
public static class CampaignProtocol
{
    /// <summary>
    /// An ad impression, ad click or attributed purchase of this campaign (from the campaign-events topic, at
    /// <paramref name="Position"/>), forwarded from the clickstream at <paramref name="Origin"/> (null when the record
    /// says nothing of where it came from). Reply: <see cref="Pipeline.EntityHandled"/>.
    /// </summary>
    public sealed record RecordCampaignEvent(string CampaignId, ClickEvent Event, EventPosition Position, EventPosition? Origin = null) : IShardedMessage
    {
        public string EntityId => CampaignId;
    }

    /// <summary>
    /// The node's event-time clock reads <paramref name="AsOf"/>: a campaign in its flight whose events stopped (it wins
    /// nothing) is paced as of then (<see cref="CampaignPaceTicker"/>). No reply; an adjustment goes to Kafka from the campaign's node.
    /// </summary>
    public sealed record PaceIdle(string CampaignId, DateTimeOffset AsOf) : IShardedMessage
    {
        public string EntityId => CampaignId;
    }
}

/// <summary>The campaigns as booked (budget, flight, values), e.g. from the compacted campaigns topic.</summary>
public interface ICampaignCatalog
{
    bool TryGet(string campaignId, out CampaignSpec spec);

    /// <summary>Every booked campaign, as booked now.</summary>
    IReadOnlyCollection<CampaignSpec> All { get; }
}
