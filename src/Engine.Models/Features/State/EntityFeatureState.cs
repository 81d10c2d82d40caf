using System.Globalization;

namespace Engine.Models.Features.State;

/// <summary>
/// What every entity's live feature state shares: the partition offsets it covers (replays are no-ops), the latest
/// event time (the entity's watermark; windows are read at or after it) and the lateness rule. Not thread-safe:
/// one owner (an actor, or the write-behind) applies events and drains changes.
/// </summary>
public abstract class EntityFeatureState
{
    public const long NoEvent = long.MinValue;
    /// <summary>The hash field of <see cref="LastEventMs"/> (decimal digits).</summary>
    public const string LastEventField = "last_event";
    private const long TtlRenewalEveryMs = 86_400_000;
    private bool _lastEventDirty;
    private bool _replaceNext;
    private long _ttlRenewedAtMs = NoEvent;
    // The latest time anything was written to the state for (its own events, and what others add to it without moving its clock:
    // an item's co-visits), by which its key's TTL is renewed.
    private long _touchedMs = NoEvent;

    protected EntityFeatureState(string id, TimeSpan allowedLateness)
    {
        Id = id;
        AllowedLatenessMs = (long)allowedLateness.TotalMilliseconds;
    }

    public string Id { get; }
    public long AllowedLatenessMs { get; }
    /// <summary>Unix milliseconds of the latest accepted event, or <see cref="NoEvent"/>.</summary>
    public long LastEventMs { get; private set; } = NoEvent;
    public PartitionOffsets Offsets { get; } = new();

    /// <summary>
    /// Whether this state's owner (a write-behind) has it on its list for the next drain: the owner marks it there, so
    /// it lists a state once without a set lookup per event. Nothing else reads it.
    /// </summary>
    public bool QueuedForDrain { get; set; }

    /// <summary>The instant windows are read at: never before the latest event, so an entity never "un-sees" one.</summary>
    public long ReadTimeMs(DateTimeOffset asOf) => Math.Max(asOf.ToUnixTimeMilliseconds(), LastEventMs);

    /// <summary>Decides whether an event counts: replayed offsets are duplicates, events older than the watermark minus the lateness are late.</summary>
    protected ApplyOutcome Admit(EventPosition position, long timeMs) => Admit(Offsets, position, timeMs);

    /// <summary>
    /// As <see cref="Admit(EventPosition, long)"/>, with the position in another feed's offsets (e.g. where a forwarded
    /// event came from). Without <paramref name="judgeLateness"/>, an old event is applied too (its windows keep it if
    /// they still reach it).
    /// </summary>
    protected ApplyOutcome Admit(PartitionOffsets offsets, EventPosition position, long timeMs, bool judgeLateness = true)
    {
        if (offsets.Covers(position)) return ApplyOutcome.Duplicate;
        offsets.Record(position);
        if (judgeLateness && LastEventMs != NoEvent && timeMs < LastEventMs - AllowedLatenessMs) return ApplyOutcome.Late;
        if (timeMs > LastEventMs)
        {
            LastEventMs = timeMs;
            _lastEventDirty = true;
            Prune(timeMs);
        }
        return ApplyOutcome.Applied;
    }

    /// <summary>Takes the later of this clock and <paramref name="lastEventMs"/> (merging read-only slices: not marked for writing).</summary>
    protected void MergeClock(long lastEventMs)
    {
        if (lastEventMs > LastEventMs) LastEventMs = lastEventMs;
    }

    /// <summary>For updates without event time: only the replay check.</summary>
    protected ApplyOutcome AdmitPosition(EventPosition position)
    {
        if (Offsets.Covers(position)) return ApplyOutcome.Duplicate;
        Offsets.Record(position);
        return ApplyOutcome.Applied;
    }

    protected abstract void Prune(long watermarkMs);
    protected abstract void DrainParts(EntityChanges changes);
    /// <summary>Marks every part for the next drain (<see cref="MarkAllChanged"/>).</summary>
    protected abstract void MarkAllParts();
    protected abstract bool TryRestorePart(string field, string value);

    /// <summary>
    /// Everything changed since the last drain, as absolute field values; clears the dirty marks. The values' bytes go
    /// into <paramref name="values"/> (a batch's shared arena) or, without one, into a small arena of their own.
    /// </summary>
    public EntityChanges DrainChanges(ValueArena? values = null)
    {
        var changes = values is null ? new EntityChanges() : new EntityChanges(values);
        DrainInto(changes);
        return changes;
    }

    /// <summary>
    /// Makes the next drain the whole state, to replace the stored key (<see cref="EntityChanges.Replace"/>): for an owner
    /// whose earlier drains may never have reached the store, e.g. they went to a writer that lost them. Fields the store
    /// holds and this state does not know (a newer version's) go with the key.
    /// </summary>
    public void MarkAllChanged()
    {
        _replaceNext = true;
        _lastEventDirty = LastEventMs != NoEvent;
        _ttlRenewedAtMs = NoEvent;
        Offsets.MarkAll();
        MarkAllParts();
    }

    /// <summary>Something was written to the state for <paramref name="timeMs"/> without moving its clock: its key's TTL follows it too.</summary>
    protected void Touch(long timeMs) => _touchedMs = Math.Max(_touchedMs, timeMs);

    /// <summary>As <see cref="DrainChanges"/>, into empty <paramref name="changes"/> (a reused one).</summary>
    public void DrainInto(EntityChanges changes)
    {
        changes.Replace |= _replaceNext;
        _replaceNext = false;
        Offsets.Drain(changes);
        if (_lastEventDirty)
        {
            changes.Add(LastEventField, LastEventMs);
            _lastEventDirty = false;
        }
        DrainParts(changes);
        // Renewing the TTL on every write doubles the commands of a flush; once a day keeps the key alive as long. By what is
        // written, not only the state's own events: a slice that only heard co-visits for a month outlived its key, and its next
        // write re-created it without a TTL (before 2026-12-07; review).
        var clock = Math.Max(LastEventMs, _touchedMs);
        if (!changes.IsEmpty && (_ttlRenewedAtMs == NoEvent || clock - _ttlRenewedAtMs >= TtlRenewalEveryMs))
        {
            changes.RenewTtl = true;
            _ttlRenewedAtMs = clock;
        }
    }

    /// <summary>Rebuilds the state from its stored hash fields (unknown fields are ignored).</summary>
    public void Restore(IEnumerable<KeyValuePair<string, string>> fields)
    {
        foreach (var (field, value) in fields)
        {
            if (field == LastEventField) LastEventMs = long.Parse(value, CultureInfo.InvariantCulture);
            else if (!Offsets.TryRestore(field, value)) TryRestorePart(field, value);
        }
        Restored();
        if (LastEventMs != NoEvent) Prune(LastEventMs);
    }

    /// <summary>Once every field is read: for parts whose fields must agree with one another.</summary>
    protected virtual void Restored() { }

    protected static long Millis(DateTimeOffset time) => time.ToUnixTimeMilliseconds();
}
