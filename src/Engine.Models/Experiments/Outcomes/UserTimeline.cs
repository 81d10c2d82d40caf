using Engine.Models.Contracts;

namespace Engine.Models.Experiments.Outcomes;

/// <summary>One user's events in event-time order, searched for what followed a moment.</summary>
internal sealed class UserTimeline
{
    private readonly List<ClickEvent> _events = [];
    private bool _sorted = true;

    public void Add(ClickEvent evt)
    {
        if (_events.Count > 0 && evt.EventTime < _events[^1].EventTime) _sorted = false;
        _events.Add(evt);
    }

    /// <summary>The events strictly after <paramref name="after"/> and no later than <paramref name="after"/> + <paramref name="within"/>.</summary>
    public IEnumerable<ClickEvent> Between(DateTimeOffset after, TimeSpan within)
    {
        if (!_sorted)
        {
            _events.Sort((a, b) => a.EventTime.CompareTo(b.EventTime)); // stable enough: ties keep no meaning here
            _sorted = true;
        }
        var end = after + within;
        for (var i = FirstAfter(after); i < _events.Count && _events[i].EventTime <= end; i++) yield return _events[i];
    }

    private int FirstAfter(DateTimeOffset t)
    {
        int lo = 0, hi = _events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_events[mid].EventTime <= t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
