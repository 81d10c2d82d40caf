using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;

namespace Engine.Training.Features;

/// <summary>
/// Offline, point-in-time campaign delivery for the bid model's rows, computed by the serving code: the campaign's events
/// applied in time order to a <see cref="CampaignFeatureState"/> and read as <see cref="CampaignDelivery"/> (the 24 hours
/// of hour buckets, the smoothed rates <c>ctr = (clicks + 1) / (impressions + 100)</c>, <c>cvr = (conversions + 1) /
/// (clicks + 20)</c>), which is what the campaign actor sends on its adjustments and bidders price with. Until 2026-12-06
/// it counted an exact sliding 24 hours of its own. The adjustments' delay (a board moves when one is sent) is not modelled.
/// </summary>
public sealed class CampaignHistory
{
    private readonly CampaignFeatureState _state = new("offline");
    private long _offset;

    /// <summary>The delivery as of <paramref name="at"/>, after adding every event before it.</summary>
    public CampaignDelivery At(DateTimeOffset at) => CampaignDelivery.Of(_state, _state.ReadTimeMs(at));

    /// <summary>Applies the event (impressions, clicks, and purchases attributed to the campaign count).</summary>
    public void Record(ClickEvent e) => _state.Apply(e, new EventPosition(0, _offset++));
}
