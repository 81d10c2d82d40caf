using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Training.Features;

/// <summary>
/// Offline, point-in-time user features for training, computed by the serving code itself: one user's events applied
/// in time order to a <see cref="UserFeatureState"/> and read through <see cref="UserFeatures"/> at an instant, as the
/// engine reads them. Until 2026-12-06 this class recomputed each feature its own way (exact windows against the
/// engine's buckets, "never" at 90 days against the engine's 30, orders counted by session against purchase events,
/// carts without purchase and categories counted differently): the models were trained on values the engine never
/// serves.
/// </summary>
public sealed class UserHistory
{
    private readonly List<DateTimeOffset> _times = [];
    private long _offset;

    /// <summary>The features as the engine keeps them (for the bid model's category features).</summary>
    public UserFeatureState State { get; } = new("offline");

    public DateTimeOffset? First => _times.Count > 0 ? _times[0] : null;
    public DateTimeOffset? Last => _times.Count > 0 ? _times[^1] : null;

    /// <summary>Applies an event; events must come in event-time order (as the simulator and the datasets give them).</summary>
    public void Add(ClickEvent e)
    {
        State.Apply(e, new EventPosition(0, _offset++));
        _times.Add(e.EventTime);
    }

    /// <summary>
    /// Writes <see cref="FeatureNames.User"/> as of <paramref name="at"/> into <paramref name="into"/>: every event added so
    /// far must be at or before it (the state only moves forward, as the engine's does).
    /// </summary>
    public void WriteAt(DateTimeOffset at, Span<float> into) => UserFeatures.All.Read(State, ReadTimeMs(at), into);

    /// <summary>The instant the state is read at for <paramref name="at"/>: every event added so far must be at or before it.</summary>
    public long ReadTimeMs(DateTimeOffset at)
    {
        if (Last is { } last && last > at)
            throw new InvalidOperationException($"features as of {at:O} asked after an event at {last:O} was applied: read them before adding later events");
        return State.ReadTimeMs(at);
    }

    /// <summary>Whether any event falls in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool HasEventIn(DateTimeOffset from, DateTimeOffset to)
    {
        var i = _times.BinarySearch(from);
        if (i < 0) i = ~i;
        else while (i > 0 && _times[i - 1] == from) i--;
        return i < _times.Count && _times[i] < to;
    }
}
