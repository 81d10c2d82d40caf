using Engine.Models.Contracts;

namespace Engine.Training.Features;

/// <summary>
/// Offline, point-in-time campaign delivery: impressions, clicks and conversions (purchases carrying the campaign id)
/// in time order, counted over 24 hours before an instant, with smoothed rates
/// (<c>ctr = (clicks + 1) / (impressions + 100)</c>, <c>cvr = (conversions + 1) / (clicks + 20)</c>: a weak prior of
/// 1% CTR and 5% CVR so a new campaign is neither zero nor one).
/// </summary>
public sealed class CampaignHistory
{
    public const double CtrPriorClicks = 1, CtrPriorImpressions = 100, CvrPriorConversions = 1, CvrPriorClicks = 20;

    private readonly List<(DateTimeOffset Time, EventType Type)> _events = [];
    private int _start;
    private int _impressions, _clicks, _conversions;

    /// <summary>The 24-hour counts and smoothed rates as of <paramref name="at"/>; calls must come with non-decreasing <paramref name="at"/>, after adding every event before it.</summary>
    public (float Impressions, float Clicks, float SmoothedCtr, float SmoothedCvr) At(DateTimeOffset at)
    {
        // Sliding window: counts are kept for events in [_start, Count) and the old ones are dropped as time advances.
        while (_start < _events.Count && at - _events[_start].Time > TimeSpan.FromHours(24))
        {
            Count(_events[_start].Type, -1);
            _start++;
        }
        return (_impressions, _clicks,
            (float)((_clicks + CtrPriorClicks) / (_impressions + CtrPriorImpressions)),
            (float)((_conversions + CvrPriorConversions) / (_clicks + CvrPriorClicks)));
    }

    /// <summary>Adds the event and counts it into the window.</summary>
    public void Record(ClickEvent e)
    {
        _events.Add((e.EventTime, e.Type));
        Count(e.Type, +1);
    }

    private void Count(EventType type, int delta)
    {
        switch (type)
        {
            case EventType.AdImpression: _impressions += delta; break;
            case EventType.AdClick: _clicks += delta; break;
            case EventType.Purchase: _conversions += delta; break;
        }
    }
}
