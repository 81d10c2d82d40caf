using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Training.Features;

/// <summary>
/// Offline, point-in-time user features for training: one user's events in time order, and
/// <see cref="WriteAt"/> computes <see cref="FeatureNames.User"/> as of any instant from the events before it.
/// Follows the definitions in FeatureNames.cs; the online windowed state (UserFeatureState) must give the same values,
/// and the two are to be unified (this is the reference the online state can be checked against).
/// </summary>
public sealed class UserHistory
{
    /// <summary>Value of the "seconds since" features when the thing never happened (90 days).</summary>
    public const float Never = 90 * 86_400f;

    private static readonly TimeSpan[] Windows = [TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromHours(24), TimeSpan.FromDays(7)];
    private static readonly int TypeCount = FeatureNames.EventTypes.Length;
    private readonly List<Entry> _events = [];

    private readonly record struct Entry(DateTimeOffset Time, EventType Type, string? Category, decimal Amount, string? Session);

    public int Count => _events.Count;
    public DateTimeOffset? First => _events.Count > 0 ? _events[0].Time : null;
    public DateTimeOffset? Last => _events.Count > 0 ? _events[^1].Time : null;

    /// <summary>Appends an event; events must come in event-time order (as the simulator and the datasets give them).</summary>
    public void Add(ClickEvent e) =>
        _events.Add(new Entry(e.EventTime, e.Type, e.Category, (e.Price ?? 0) * (e.Quantity ?? 1), e.SessionId));

    /// <summary>Writes the user vector as of <paramref name="at"/> (events strictly before it) into <paramref name="into"/>.</summary>
    public void WriteAt(DateTimeOffset at, Span<float> into)
    {
        into.Clear();
        var end = CountBefore(at);
        var categories24h = new HashSet<string>();
        var sessions7d = new HashSet<string>();
        var orderSessions = new HashSet<string>();
        double spend = 0;
        int carts24h = 0, purchases24h = 0;
        DateTimeOffset? lastPurchase = null;
        for (var i = end - 1; i >= 0; i--)
        {
            var e = _events[i];
            var age = at - e.Time;
            if (e.Type == EventType.Purchase) lastPurchase ??= e.Time;
            if (age > TimeSpan.FromDays(30)) { if (lastPurchase is not null) break; continue; }
            var type = (int)e.Type;
            for (var w = 0; w < Windows.Length; w++)
                if (age <= Windows[w]) into[type * Windows.Length + w]++;
            if (age <= TimeSpan.FromHours(24))
            {
                if (e.Category is not null) categories24h.Add(e.Category);
                if (e.Type == EventType.AddToCart) carts24h++;
                if (e.Type == EventType.Purchase) purchases24h++;
            }
            if (age <= TimeSpan.FromDays(7) && e.Session is not null) sessions7d.Add(e.Session);
            if (e.Type == EventType.Purchase)
            {
                spend += (double)e.Amount;
                orderSessions.Add(e.Session ?? e.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        var rest = TypeCount * Windows.Length;
        into[rest] = categories24h.Count;
        into[rest + 1] = (float)spend;
        into[rest + 2] = orderSessions.Count;
        into[rest + 3] = orderSessions.Count == 0 ? 0 : (float)(spend / orderSessions.Count);
        into[rest + 4] = end == 0 ? Never : (float)Math.Min(Never, (at - _events[end - 1].Time).TotalSeconds);
        into[rest + 5] = lastPurchase is { } p ? (float)Math.Min(Never, (at - p).TotalSeconds) : Never;
        into[rest + 6] = sessions7d.Count;
        into[rest + 7] = Math.Max(0, carts24h - purchases24h);
        into[rest + 8] = into[(int)EventType.AdImpression * Windows.Length + 2];
        into[rest + 9] = into[(int)EventType.AdClick * Windows.Length + 2];
    }

    /// <summary>Product views in <paramref name="category"/> over the 7 days before <paramref name="at"/>, and all product views then.</summary>
    public (int InCategory, int All) CategoryViews7d(DateTimeOffset at, string category)
    {
        int inCategory = 0, all = 0;
        for (var i = CountBefore(at) - 1; i >= 0 && at - _events[i].Time <= TimeSpan.FromDays(7); i--)
        {
            if (_events[i].Type != EventType.ProductView) continue;
            all++;
            if (_events[i].Category == category) inCategory++;
        }
        return (inCategory, all);
    }

    /// <summary>Whether any event falls in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool HasEventIn(DateTimeOffset from, DateTimeOffset to)
    {
        var i = CountBefore(from);
        return i < _events.Count && _events[i].Time < to;
    }

    private int CountBefore(DateTimeOffset at)
    {
        int lo = 0, hi = _events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_events[mid].Time < at) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
