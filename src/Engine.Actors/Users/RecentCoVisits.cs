using Engine.Models.Features;

namespace Engine.Actors.Users;

/// <summary>
/// The co-visits a user's latest views were answered with, by position. A replayed view is a duplicate to the user's state,
/// which recomputes nothing, yet the items' slices count it if their flush had not landed (a stream that restarted while
/// this actor lived on): answered with its co-visits again, the slices count them as its first run would have. A few dozen
/// views cover what a partition leaves undurable for one user.
/// </summary>
internal sealed class RecentCoVisits(int capacity)
{
    private readonly (EventPosition Position, string[] Items)[] _recent = new (EventPosition, string[])[capacity];
    private int _next, _count;

    public void Remember(EventPosition position, string[] items)
    {
        _recent[_next] = (position, items);
        _next = (_next + 1) % _recent.Length;
        _count = Math.Min(_count + 1, _recent.Length);
    }

    /// <summary>The co-visits the view at <paramref name="position"/> was answered with, if it is among the latest.</summary>
    public string[]? Of(EventPosition position)
    {
        for (var i = 0; i < _count; i++)
            if (_recent[i].Position == position) return _recent[i].Items;
        return null;
    }
}
