using System.Globalization;
using Engine.Models.Contracts;
using Engine.Models.Features.State;

namespace Engine.Models.Features;

/// <summary>
/// One user's live features: per event type counts in minute buckets (5 min and 1 h windows) and hour buckets
/// (24 h and 7 d), spend and orders in day buckets (30 d), the categories, sessions and carted items last seen,
/// and the items viewed in the current session (for item co-visitation). <see cref="UserFeatures"/> reads it.
/// </summary>
public sealed class UserFeatureState(string userId, TimeSpan allowedLateness) : EntityFeatureState(userId, allowedLateness)
{
    /// <summary>The latest distinct items of the session a view counts as co-visited with.</summary>
    public const int SessionItemsKept = 5;

    /// <summary>
    /// The session's latest clicks (product views) the recommender is asked with, repeats kept: what training and evaluation
    /// ask it with too (<see cref="Recommendations.SessionInput"/>). Before 2026-12-06 the state kept the latest 5 distinct
    /// items while the re-ranker was trained and evaluated on whole prefixes with repeats (a third of YooChoose's next
    /// clicks repeat an item), so the served lists were not the evaluated ones.
    /// </summary>
    public const int SessionClicksKept = 20;
    private const string LastPurchaseField = "last_purchase";
    private const string SessionField = "session";
    private const string SessionClockField = "session_at";
    private const string SegmentField = "segment";
    /// <summary>The churn alert that opened the user's open episode and what caused it, tab-separated (<see cref="ChurnAlertId"/>, <see cref="ChurnOpenedBy"/>); absent when none is open.</summary>
    public const string ChurnAlertField = "churn_alert";
    private static readonly int TypeCount = Enum.GetValues<EventType>().Length;

    public UserFeatureState(string userId) : this(userId, Resolutions.DefaultAllowedLateness) { }

    public BucketSeries Minutes { get; } = new("m", Resolutions.Minute, 60, TypeCount);
    public BucketSeries Hours { get; } = new("h", Resolutions.Hour, 168, TypeCount);
    /// <summary>Metric 0 = spend, 1 = orders.</summary>
    public BucketSeries Days { get; } = new("d", Resolutions.Day, 30, 2);
    public LastSeenSet Categories { get; } = new("k", Resolutions.Hour, 24, 1, 512);
    /// <summary>Product views per category in day buckets (7 days): the user's interest in a campaign's category, for bidding.</summary>
    public KeyedCounts CategoryViews7d { get; } = new("cv", Resolutions.Day, 7, 64);
    public LastSeenSet Sessions { get; } = new("s", Resolutions.Hour, 168, 1, 1024);
    /// <summary>Kind 0 = added to cart, 1 = purchased.</summary>
    public LastSeenSet CartItems { get; } = new("a", Resolutions.Hour, 24, 2, 512);
    public long LastPurchaseMs { get; private set; } = NoEvent;

    private string? _session;
    private readonly List<string> _sessionItems = [];
    // When the current session's newest view happened (this actor's only: see TrackSessionItem).
    private long _newestViewMs = long.MinValue;
    /// <summary>
    /// The latest time of an event that carried a session: which session is the current one is decided on this clock, not on
    /// <see cref="EntityFeatureState.LastEventMs"/>, which events without one (bid requests, ad events and server-side
    /// purchases, stamped by other clocks) move too; before 2026-12-07 one of those stamped a minute ahead made a new
    /// session's first events read as late ones of an earlier session, and a purchase among them was offered again.
    /// </summary>
    private long _sessionClockMs = NoEvent;
    private bool _sessionClockDirty;
    private bool _purchaseDirty;
    private bool _sessionDirty;

    /// <summary>
    /// Segment fields of the user's latest event that carried them (for fairness counts of alerts raised on silence,
    /// which have no event of their own). Kept with the features so a passivated or moved user still has them.
    /// </summary>
    public string? Device { get; private set; }
    public string? Region { get; private set; }
    private bool _segmentDirty;

    /// <summary>The session of the latest event that carried one (events without one, such as bid requests, neither start nor end one).</summary>
    public string? CurrentSession => _currentSession;

    /// <summary>
    /// The items bought in <see cref="CurrentSession"/>: what recommendations leave out. Kept with the features (field
    /// <c>bought</c>), so a user's actor that restarts, passivates or moves mid-session still leaves them out.
    /// </summary>
    public IReadOnlySet<string> BoughtInSession => _bought;
    private string? _currentSession;
    private HashSet<string> _bought = new(StringComparer.Ordinal);
    /// <summary>
    /// What was bought in the latest earlier sessions (latest first, at most <see cref="EarlierSessionsKept"/>, each with something
    /// bought): a user back on one of them (two devices, two tabs) has its items left out again. Before 2026-12-07 a move to
    /// another session forgot them, and a user who bought A, opened another session and came back was offered A (a review).
    /// </summary>
    private readonly List<(string Session, HashSet<string> Items)> _earlier = [];
    private bool _boughtDirty, _earlierDirty;
    private const string BoughtField = "bought";
    /// <summary>The earlier sessions' groups, a line each, in a field of their own: a build before them (a rollback) ignores it.</summary>
    private const string BoughtEarlierField = "bought_earlier";

    /// <summary>Earlier sessions whose bought items are kept (<see cref="_earlier"/>).</summary>
    public const int EarlierSessionsKept = 3;

    /// <summary>Items bought in one session that lists leave out, at most (a session with more is not a shopper's).</summary>
    public const int MaxBoughtInSession = 64;

    /// <summary>
    /// The churn alert that opened the user's open episode, or null when none is open (the next crossing alerts). Kept with
    /// the features: an actor passivates after two idle minutes, so a user alerted after days of silence was always met by
    /// a fresh actor, whose episode started armed; one visit that left the probability above the re-arm level then raised
    /// a second alert, under a new id, for the same episode (before 2026-12-06).
    /// </summary>
    public string? ChurnAlertId { get; private set; }

    /// <summary>The <c>caused_by</c> of the alert that opened the open episode: the event (its id) or the sweep tick.</summary>
    public string? ChurnOpenedBy { get; private set; }
    private bool _churnDirty;

    /// <summary>Opens (an alert's id, and its <c>caused_by</c>) or closes (null) the user's churn episode; written with the next drain.</summary>
    public void SetChurnEpisode(string? alertId, string? openedBy)
    {
        if (alertId is null) openedBy = null;
        if (alertId == ChurnAlertId && openedBy == ChurnOpenedBy) return;
        (ChurnAlertId, ChurnOpenedBy, _churnDirty) = (alertId, openedBy, true);
    }

    /// <summary>The episode moved since the last drain: no flush has carried it yet.</summary>
    public bool ChurnEpisodeUnsaved => _churnDirty;

    /// <summary>The value of <see cref="ChurnAlertField"/> for the open episode (null: none is open, the field is deleted).</summary>
    public string? ChurnEpisodeValue => ChurnAlertId is null ? null : ChurnAlertId + "\t" + ChurnOpenedBy;

    /// <summary>
    /// The episode <paramref name="value"/> (a <see cref="ChurnEpisodeValue"/>) was written outside a drain (or need not
    /// be): the next drain leaves it out. If it moved while it was written (a late event re-armed it, and that event's flush
    /// may have landed first), the current one is marked to be written again.
    /// </summary>
    public void ChurnEpisodeSaved(string? value) => _churnDirty = value != ChurnEpisodeValue;

    /// <summary>The items viewed in the current session, latest first, a view repeated as often as it was (at most <see cref="SessionClicksKept"/>).</summary>
    public IReadOnlyList<string> SessionItems => _sessionItems;

    /// <summary>
    /// Counts the event in its event-time buckets. For a product view, <paramref name="coVisited"/> (if given)
    /// receives the other items viewed earlier in the same session: the caller feeds them to the item states.
    /// </summary>
    public ApplyOutcome Apply(ClickEvent e, EventPosition position, List<string>? coVisited = null)
    {
        var t = Millis(e.EventTime);
        var outcome = Admit(position, t);
        // A purchase too late for the windows still counts as bought in its session: a list must never offer it again. Late
        // by last_event, it may still be the newest of sessions (an event without one stamped ahead, past the lateness).
        if (outcome == ApplyOutcome.Late && e.Type == EventType.Purchase) TrackBought(e, newest: EnterSession(e, t));
        if (outcome != ApplyOutcome.Applied) return outcome;
        var wm = LastEventMs;
        TrackBought(e, newest: EnterSession(e, t));
        if ((e.Device is not null || e.Region is not null) && t >= wm && (e.Device != Device || e.Region != Region))
            (Device, Region, _segmentDirty) = (e.Device, e.Region, true);
        Minutes.Add(t, (int)e.Type, 1, wm);
        Hours.Add(t, (int)e.Type, 1, wm);
        if (e.SessionId is { } session) Sessions.Mark(session, 0, t, wm);
        switch (e.Type)
        {
            case EventType.ProductView when e.ItemId is { } item:
                if (e.Category is { } category)
                {
                    Categories.Mark(category, 0, t, wm);
                    CategoryViews7d.Add(category, t, wm);
                }
                TrackSessionItem(e.SessionId, item, coVisited, t);
                break;
            case EventType.AddToCart when e.ItemId is { } item:
                CartItems.Mark(item, 0, t, wm);
                break;
            case EventType.Purchase:
                Days.Add(t, 0, (double)(e.Price ?? 0) * (e.Quantity ?? 1), wm);
                Days.Add(t, 1, 1, wm);
                if (e.ItemId is { } bought) CartItems.Mark(bought, 1, t, wm);
                if (t > LastPurchaseMs) { LastPurchaseMs = t; _purchaseDirty = true; }
                break;
        }
        return outcome;
    }

    /// <summary>Product views in <paramref name="category"/> over the last 7 days (0 for no category).</summary>
    public float CategoryViews(string? category, long nowMs) =>
        category is null ? 0 : (float)CategoryViews7d.Sum(category, 7, nowMs);

    /// <summary>The share of the user's 7-day product views that were in <paramref name="category"/>.</summary>
    public float CategoryViewShare(string? category, long nowMs)
    {
        var total = CategoryViews7d.Total(7, nowMs);
        return total == 0 ? 0 : (float)(CategoryViews(category, nowMs) / total);
    }

    /// <param name="newest">The event is the user's latest: an older one (late, within the lateness) of another session neither
    /// moves the session nor counts in it (it moved it back, and cleared what the current session had bought).</param>
    private void TrackBought(ClickEvent e, bool newest)
    {
        var bought = _bought;
        if (e.SessionId is { } session && session != _currentSession)
        {
            // A late purchase of an earlier session still counts there, where a return to that session finds it (its first
            // purchase too: the session then gets a group of its own among the earlier ones).
            if (!newest)
            {
                if (e.Type != EventType.Purchase) return;
                var earlier = _earlier.FindIndex(s => s.Session == session);
                if (earlier < 0)
                {
                    _earlier.Insert(0, (session, new HashSet<string>(StringComparer.Ordinal)));
                    TrimEarlier();
                    earlier = 0;
                }
                bought = _earlier[earlier].Items;
            }
            else SwitchBought(session);
        }
        if (e is { Type: EventType.Purchase, ItemId: { } item } && !bought.Contains(item))
        {
            // Purchases that carry no session (server-side) never start a new one: past the bound, start afresh, or the
            // field (rewritten whole at each purchase) would grow for as long as the user buys.
            if (bought.Count >= MaxBoughtInSession) bought.Clear();
            bought.Add(item);
            if (ReferenceEquals(bought, _bought)) _boughtDirty = true;
            else _earlierDirty = true;
        }
    }

    /// <summary>
    /// <paramref name="session"/> becomes the current one: what the current one bought is kept among the earlier sessions',
    /// and what <paramref name="session"/> bought, if it is one of them, is its again. Written only when something moved:
    /// a new session after one that bought nothing changes nothing stored.
    /// </summary>
    private void SwitchBought(string session)
    {
        var back = _earlier.FindIndex(s => s.Session == session);
        if (_bought.Count > 0 || back >= 0) _boughtDirty = true;
        if (_bought.Count > 0 && _currentSession is not null)
        {
            _earlier.Insert(0, (_currentSession, _bought));
            if (back >= 0) back++;
            _bought = new HashSet<string>(StringComparer.Ordinal);
            _earlierDirty = true;
        }
        else _bought.Clear();
        if (back >= 0)
        {
            _bought = _earlier[back].Items;
            _earlier.RemoveAt(back);
            _earlierDirty = true;
        }
        TrimEarlier();
        _currentSession = session;
    }

    private void TrimEarlier()
    {
        if (_earlier.Count > EarlierSessionsKept) _earlier.RemoveRange(EarlierSessionsKept, _earlier.Count - EarlierSessionsKept);
    }

    /// <summary>A view counts in the current session only: a late view of an earlier one neither moves the session nor counts in it
    /// (it cleared the current session's items, and recorded no co-visits for its next view). A view of this session older
    /// than its newest view (a mobile SDK's batch read out of order) goes behind that view, not ahead of it: before
    /// 2026-12-07 it became the session's last click, and its list replaced the newer page's (a review). Its exact place among
    /// older clicks is not kept (no times are): one swapped pair, the usual case, comes out in order. The newest view's time
    /// is this actor's only (not stored): a reloaded state takes its next view as the newest, as before.</summary>
    private void TrackSessionItem(string? session, string item, List<string>? coVisited, long t)
    {
        if (session is null || session != _session) return;
        if (coVisited is not null) CoVisited(item, coVisited);
        var late = t < _newestViewMs && _sessionItems.Count > 0;
        if (!late) _newestViewMs = t;
        _sessionItems.Insert(late ? 1 : 0, item);
        if (_sessionItems.Count > SessionClicksKept) _sessionItems.RemoveAt(SessionClicksKept);
        _sessionDirty = true;
    }

    /// <summary>The other items among the session's latest <see cref="SessionItemsKept"/> distinct ones, latest first.</summary>
    private void CoVisited(string item, List<string> coVisited)
    {
        var distinct = 0;
        for (var i = 0; i < _sessionItems.Count && distinct < SessionItemsKept; i++)
        {
            var seen = _sessionItems[i];
            if (IndexOf(seen, i) >= 0) continue; // a repeat of a later view
            distinct++;
            if (seen != item) coVisited.Add(seen);
        }
    }

    /// <summary>Where <paramref name="item"/> is among the session's first <paramref name="before"/> clicks (latest first), or -1.</summary>
    private int IndexOf(string item, int before)
    {
        for (var i = 0; i < before; i++)
            if (_sessionItems[i] == item) return i;
        return -1;
    }

    /// <summary>
    /// Whether the event's session is the newest of sessions (on <see cref="_sessionClockMs"/>): then it is the current one
    /// (any event of a new session starts it, not only a view: a session opened by a search or a cart add was listed for
    /// from the last session's views until its first view), and the clock moves with it. False for an event without one.
    /// </summary>
    private bool EnterSession(ClickEvent e, long t)
    {
        if (e.SessionId is not { } session || t < _sessionClockMs) return false;
        if (session != _session) StartSession(session);
        if (t > _sessionClockMs) (_sessionClockMs, _sessionClockDirty) = (t, true);
        return true;
    }

    private void StartSession(string session)
    {
        (_session, _sessionDirty, _newestViewMs) = (session, true, long.MinValue);
        _sessionItems.Clear();
    }

    protected override void Prune(long watermarkMs)
    {
        Minutes.Prune(watermarkMs);
        Hours.Prune(watermarkMs);
        Days.Prune(watermarkMs);
        Categories.Prune(watermarkMs);
        CategoryViews7d.Prune(watermarkMs);
        Sessions.Prune(watermarkMs);
        CartItems.Prune(watermarkMs);
    }

    protected override void DrainParts(EntityChanges changes)
    {
        Minutes.Drain(changes);
        Hours.Drain(changes);
        Days.Drain(changes);
        Categories.Drain(changes);
        CategoryViews7d.Drain(changes);
        Sessions.Drain(changes);
        CartItems.Drain(changes);
        if (_purchaseDirty) changes.Add(LastPurchaseField, LastPurchaseMs);
        if (_sessionClockDirty) changes.Add(SessionClockField, _sessionClockMs);
        // The session and its items joined by tabs: ids are free-form but never hold control characters in practice.
        if (_sessionDirty)
        {
            if (_session is not null)
            {
                changes.Values.Append(_session);
                foreach (var item in _sessionItems)
                {
                    changes.Values.Append('\t');
                    changes.Values.Append(item);
                }
            }
            changes.Commit(SessionField);
        }
        if (_segmentDirty)
        {
            changes.Values.Append(Device);
            changes.Values.Append('\t');
            changes.Values.Append(Region);
            changes.Commit(SegmentField);
        }
        if (_boughtDirty)
        {
            AppendBought(changes, _currentSession, _bought);
            changes.Commit(BoughtField);
        }
        if (_earlierDirty)
        {
            if (_earlier.Count == 0) changes.Delete.Add(BoughtEarlierField);
            else
            {
                for (var i = 0; i < _earlier.Count; i++)
                {
                    if (i > 0) changes.Values.Append('\n');
                    AppendBought(changes, _earlier[i].Session, _earlier[i].Items);
                }
                changes.Commit(BoughtEarlierField);
            }
        }
        if (_churnDirty)
        {
            if (ChurnAlertId is null) changes.Delete.Add(ChurnAlertField);
            else
            {
                changes.Values.Append(ChurnEpisodeValue);
                changes.Commit(ChurnAlertField);
            }
        }
        _purchaseDirty = _sessionDirty = _segmentDirty = _boughtDirty = _earlierDirty = _churnDirty = _sessionClockDirty = false;
    }

    private static void AppendBought(EntityChanges changes, string? session, HashSet<string> items)
    {
        changes.Values.Append(session);
        foreach (var item in items)
        {
            changes.Values.Append('\t');
            changes.Values.Append(item);
        }
    }

    protected override void MarkAllParts()
    {
        Minutes.MarkAll();
        Hours.MarkAll();
        Days.MarkAll();
        Categories.MarkAll();
        CategoryViews7d.MarkAll();
        Sessions.MarkAll();
        CartItems.MarkAll();
        _purchaseDirty = LastPurchaseMs != NoEvent;
        _sessionClockDirty = _sessionClockMs != NoEvent;
        _sessionDirty = _session is not null;
        _segmentDirty = Device is not null || Region is not null;
        _boughtDirty = _bought.Count > 0;
        _earlierDirty = _earlier.Count > 0;
        _churnDirty = ChurnAlertId is not null;
    }

    protected override bool TryRestorePart(string field, string value)
    {
        switch (field)
        {
            case LastPurchaseField:
                LastPurchaseMs = long.Parse(value, CultureInfo.InvariantCulture);
                return true;
            case SessionClockField:
                _sessionClockMs = long.Parse(value, CultureInfo.InvariantCulture);
                return true;
            case BoughtField:
                var current = value.Split('\t');
                _currentSession = current[0].Length == 0 ? null : current[0];
                _bought = new HashSet<string>(current.Skip(1), StringComparer.Ordinal);
                return true;
            case BoughtEarlierField:
                _earlier.Clear();
                foreach (var group in value.Split('\n').Take(EarlierSessionsKept))
                {
                    var earlier = group.Split('\t');
                    if (earlier[0].Length > 0) _earlier.Add((earlier[0], new HashSet<string>(earlier.Skip(1), StringComparer.Ordinal)));
                }
                return true;
            case SegmentField:
                var segment = value.Split('\t');
                (Device, Region) = (NullIfEmpty(segment[0]), segment.Length > 1 ? NullIfEmpty(segment[1]) : null);
                return true;
            case ChurnAlertField:
                var episode = value.Split('\t', 2);
                (ChurnAlertId, ChurnOpenedBy) = (NullIfEmpty(episode[0]), episode.Length > 1 ? NullIfEmpty(episode[1]) : null);
                return true;
            case SessionField:
                var parts = value.Split('\t');
                _session = parts[0].Length == 0 ? null : parts[0];
                _sessionItems.Clear();
                _sessionItems.AddRange(parts.Skip(1).Take(SessionClicksKept));
                return true;
        }
        return Minutes.TryRestore(field, value) || Hours.TryRestore(field, value) || Days.TryRestore(field, value)
            || Categories.TryRestore(field, value) || CategoryViews7d.TryRestore(field, value) || Sessions.TryRestore(field, value) || CartItems.TryRestore(field, value);
    }

    /// <summary>
    /// The session the bought items belong to is written only when they change, while the session field is written at every
    /// session start: after a session that bought nothing, the stored one named an earlier session (or none), and a restored
    /// state took the current session for a new one at its next event and forgot what a server-side purchase had bought
    /// meanwhile (offered again in the same session), or left a late purchase of it out. The session field decides.
    /// </summary>
    protected override void Restored()
    {
        // Stored before the session clock was (2026-12-07): the latest event's time, as sessions were judged then.
        if (_sessionClockMs == NoEvent && _session is not null) _sessionClockMs = LastEventMs;
        if (_session is null || _session == _currentSession) return;
        SwitchBought(_session);
        _boughtDirty = _earlierDirty = false; // as stored: the next change writes it
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
