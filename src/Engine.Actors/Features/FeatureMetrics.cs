using System.Diagnostics.Metrics;
using Engine.Models.Features;

namespace Engine.Actors.Features;

/// <summary>The feature store's counters, on the <c>Engine.Features</c> meter (exported by OpenTelemetry in the host).</summary>
public sealed class FeatureMetrics : IDisposable
{
    public const string MeterName = "Engine.Features";
    private readonly Meter _meter;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _late;
    private readonly Counter<long> _itemLate;
    private readonly Counter<long> _flushRetries;
    private readonly Counter<long> _flushFailures;
    private readonly Counter<long> _loadRetries;

    public FeatureMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _applied = _meter.CreateCounter<long>("engine.features.events.applied", description: "Events counted in feature windows");
        _duplicates = _meter.CreateCounter<long>("engine.features.events.duplicate", description: "Replayed events ignored (offset already covered)");
        _late = _meter.CreateCounter<long>("engine.features.events.late", description: "Events dropped: older than the allowed lateness");
        // Apart from the user's: an item hears from every user of a partition, so a view late for its item (a batched upload,
        // a device clock behind) is usually not late for its user, and before 2026-12-08 was dropped uncounted (review).
        _itemLate = _meter.CreateCounter<long>("engine.features.item_events.late",
            description: "Events left out of an item's popularity windows: older than the allowed lateness behind the item's latest event on the partition");
        _flushRetries = _meter.CreateCounter<long>("engine.features.flush.retries", description: "Flush attempts that failed and were retried");
        _flushFailures = _meter.CreateCounter<long>("engine.features.flush.unacknowledged", description: "Flushes given up after all attempts");
        _loadRetries = _meter.CreateCounter<long>("engine.features.load.retries", description: "Entity loads (rehydration) that failed on a transient Redis error and were retried");
    }

    public void Count(ApplyOutcome outcome, long events = 1)
    {
        if (events == 0) return;
        switch (outcome)
        {
            case ApplyOutcome.Applied: _applied.Add(events); break;
            case ApplyOutcome.Duplicate: _duplicates.Add(events); break;
            case ApplyOutcome.Late: _late.Add(events); break;
        }
    }

    /// <summary>An event an item's slice judged late (its user may not have).</summary>
    public void CountItemLate() => _itemLate.Add(1);

    /// <summary>This instance's meter (several engines or tests in one process each have their own).</summary>
    public Meter Meter => _meter;

    public void FlushRetried() => _flushRetries.Add(1);
    public void FlushUnacknowledged() => _flushFailures.Add(1);
    public void LoadRetried() => _loadRetries.Add(1);

    public void Dispose() => _meter.Dispose();
}
