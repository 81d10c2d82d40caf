using Engine.Models.Contracts;
using Engine.Models.Features.State;

namespace Engine.Models.Features;

/// <summary>
/// One campaign's live delivery counts: impressions, clicks, conversions and spend in 10 s buckets (1 min window),
/// minute buckets (15 min, 1 h) and hour buckets (24 h). <see cref="CampaignFeatures"/> reads it.
/// </summary>
public sealed class CampaignFeatureState(string campaignId, TimeSpan allowedLateness) : EntityFeatureState(campaignId, allowedLateness)
{
    public const int Impressions = 0, Clicks = 1, Conversions = 2, Spend = 3;

    public CampaignFeatureState(string campaignId) : this(campaignId, Resolutions.DefaultAllowedLateness) { }

    public BucketSeries TenSeconds { get; } = new("t", Resolutions.TenSeconds, 6, 4);
    // 61: the pacer reads the 60 completed minutes before the current one (60 kept, the oldest was already pruned: it read 59
    // and saw a campaign on plan as 1.7% behind, and spent its budget ahead of the flight's end).
    public BucketSeries Minutes { get; } = new("m", Resolutions.Minute, 61, 4);
    // 25 for the same reason: at the first tick of an hour the pacer reads the 24 hours before it, the oldest of which the
    // tick's own event had pruned with 24 kept (a review, 2026-12-07: 23 hours read once an hour, the day's CTR and the
    // adjustment's 24-hour delivery undercounted).
    public BucketSeries Hours { get; } = new("h", Resolutions.Hour, 25, 4);

    /// <summary>Everything spent since the campaign's first event (never pruned): what budget exhaustion is checked against.</summary>
    public double SpentTotal { get; private set; }
    private const string SpentTotalField = "spent_total";
    private bool _spentDirty;

    /// <summary>
    /// The pacing controller's memory, as its owner encoded it (<c>Decisions.PacingMemory</c>): kept with the delivery it
    /// was computed from, so a campaign's actor that restarts, passivates or moves goes on pacing where it left off.
    /// </summary>
    public string? Pacing { get; private set; }
    public const string PacingField = "pacing";
    private bool _pacingDirty;

    public void SetPacing(string pacing)
    {
        if (pacing == Pacing) return;
        (Pacing, _pacingDirty) = (pacing, true);
    }

    /// <summary>
    /// The tick the pacing clock last started at (-1: unknown), in a field of its own (<c>pacing_clock</c>) beside the memory:
    /// a build before it (a rollback) reads the memory as it always did and ignores this.
    /// </summary>
    public long PacingClock { get; private set; } = -1;
    public const string PacingClockField = "pacing_clock";
    private bool _pacingClockDirty;

    public void SetPacingClock(long tick)
    {
        if (tick == PacingClock) return;
        (PacingClock, _pacingClockDirty) = (tick, true);
    }

    /// <summary>
    /// The last bid adjustment its owner sent, as its JSON: written with the pacing memory that records it as sent, while
    /// Kafka may not have it yet; the replay of the event that caused it sends it again (same id).
    /// </summary>
    public string? LastAdjustment { get; private set; }
    private const string LastAdjustmentField = "last_adjustment";
    private bool _lastAdjustmentDirty;

    public void SetLastAdjustment(string json) => (LastAdjustment, _lastAdjustmentDirty) = (json, true);

    /// <summary>
    /// The clickstream offsets whose forwarded events this state reflects, stored as <c>src:{partition}</c>: a replay of
    /// the user stream forwards its events again, at new offsets of the campaign-events topic, and each counts once.
    /// </summary>
    public PartitionOffsets Origins { get; } = new("src:");

    /// <summary>
    /// An ad impression or click counts (its price, when present, is what the campaign paid for it); a purchase
    /// attributed to the campaign (<c>campaign_id</c> set) is a conversion. Other types only move the clock. A forwarded
    /// event is a replay when its <paramref name="origin"/> (clickstream partition and offset) is covered; an event
    /// without one, when its own <paramref name="position"/> is.
    /// No event is refused as late: a campaign hears from every clickstream partition, and one partition behind the others
    /// (catching up after an outage, a restart or a takeover) is lag, not lateness. Refused, its impressions were lost to
    /// the counts and to <see cref="SpentTotal"/>, which budgets are checked against. An old event still leaves the windows
    /// that no longer reach it (each series keeps only its own span).
    /// </summary>
    public ApplyOutcome Apply(ClickEvent e, EventPosition position, EventPosition? origin = null)
    {
        var t = Millis(e.EventTime);
        var outcome = Admit(origin is null ? Offsets : Origins, origin ?? position, t, judgeLateness: false);
        if (outcome != ApplyOutcome.Applied) return outcome;
        switch (e.Type)
        {
            case EventType.AdImpression:
                Add(t, Impressions, 1);
                AddSpend(t, e.Price);
                break;
            case EventType.AdClick:
                Add(t, Clicks, 1);
                AddSpend(t, e.Price);
                break;
            case EventType.Purchase:
                Add(t, Conversions, 1);
                break;
        }
        return outcome;
    }

    private void AddSpend(long t, decimal? price)
    {
        if (price is not { } p || p <= 0) return;
        Add(t, Spend, (double)p);
        SpentTotal += (double)p;
        _spentDirty = true;
    }

    private void Add(long t, int metric, double amount)
    {
        TenSeconds.Add(t, metric, amount, LastEventMs);
        Minutes.Add(t, metric, amount, LastEventMs);
        Hours.Add(t, metric, amount, LastEventMs);
    }

    protected override void Prune(long watermarkMs)
    {
        TenSeconds.Prune(watermarkMs);
        Minutes.Prune(watermarkMs);
        Hours.Prune(watermarkMs);
    }

    protected override void DrainParts(EntityChanges changes)
    {
        Origins.Drain(changes);
        TenSeconds.Drain(changes);
        Minutes.Drain(changes);
        Hours.Drain(changes);
        if (_pacingDirty)
        {
            changes.Values.Append(Pacing!);
            changes.Commit(PacingField);
            _pacingDirty = false;
        }
        if (_pacingClockDirty)
        {
            changes.Add(PacingClockField, PacingClock);
            _pacingClockDirty = false;
        }
        if (_lastAdjustmentDirty)
        {
            changes.Values.Append(LastAdjustment!);
            changes.Commit(LastAdjustmentField);
            _lastAdjustmentDirty = false;
        }
        if (!_spentDirty) return;
        changes.Add(SpentTotalField, SpentTotal);
        _spentDirty = false;
    }

    protected override void MarkAllParts()
    {
        Origins.MarkAll();
        TenSeconds.MarkAll();
        Minutes.MarkAll();
        Hours.MarkAll();
        _spentDirty = SpentTotal != 0;
        _pacingDirty = Pacing is not null;
        _pacingClockDirty = PacingClock >= 0;
        _lastAdjustmentDirty = LastAdjustment is not null;
    }

    protected override bool TryRestorePart(string field, string value)
    {
        switch (field)
        {
            case SpentTotalField:
                SpentTotal = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                return true;
            case PacingField:
                Pacing = value;
                return true;
            case PacingClockField:
                PacingClock = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                return true;
            case LastAdjustmentField:
                LastAdjustment = value;
                return true;
            default:
                return Origins.TryRestore(field, value) || TenSeconds.TryRestore(field, value) || Minutes.TryRestore(field, value) || Hours.TryRestore(field, value);
        }
    }
}
