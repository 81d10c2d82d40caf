using System.Diagnostics.Metrics;
using Engine.Models.Contracts;

namespace Engine.Host.Telemetry;

/// <summary>
/// The node's counters as observable instruments on the <c>Engine.Host</c> meter: read at each Prometheus scrape from
/// the node's own counters and the <see cref="NodeMonitor"/>'s latest readings, so the hot path pays nothing for them.
/// </summary>
public sealed class EngineMeters : IDisposable
{
    public const string MeterName = "Engine.Host";
    private readonly Meter _meter = new(MeterName);

    public EngineMeters(NodeMonitor monitor)
    {
        _meter.CreateObservableCounter("engine.events.in", () => Per(monitor, n => n.UserCounters.Consumed, n => n.CampaignCounters.Consumed),
            "{event}", "Records consumed, by input topic");
        _meter.CreateObservableCounter("engine.events.dead_lettered", () => Per(monitor, n => n.UserCounters.DeadLettered, n => n.CampaignCounters.DeadLettered),
            "{event}", "Records refused with their reason to the dead-letter topic, by input topic");
        _meter.CreateObservableCounter("engine.decisions", () => Decisions(monitor), "{decision}", "Decisions emitted, by kind");
        _meter.CreateObservableCounter("engine.bids.late_dropped", () => monitor.Node?.Decisions.LateBidsDropped ?? 0, "{bid}",
            "Bid requests whose answer would have come after their tmax: not sent (revenue lost to a slow node, not a quiet exchange)");
        _meter.CreateObservableCounter("engine.recommendations.conflated", () => monitor.Node?.Decisions.ListsConflated ?? 0, "{event}",
            "Page events whose list a later event of the same session, read with them under a backlog, sent instead (Recommendations:ConflationWindow)");
        // Unknown readings are left out, not repeated: an outage shows as missing series, never as the last good values.
        _meter.CreateObservableGauge("engine.consumer.lag", () => (monitor.Readings.Lag ?? []).Select(l =>
                new Measurement<long>(l.Lag, new("topic", l.Topic), new("partition", l.Partition))),
            "{record}", "Records in Kafka not yet committed by the engine's consumer group, by topic and partition (absent: not read)");
        _meter.CreateObservableGauge("engine.churn.clock_still", () => (monitor.Node?.EventClock.StillFor() ?? []).Select(c =>
                new Measurement<double>(Math.Round(c.StillFor.TotalSeconds, 1), new KeyValuePair<string, object?>("partition", c.Partition))),
            "s", "Seconds since each clickstream partition this node writes last moved its event-time clock (a flush of newer events), which churn silence is measured on: none of its quiet users is checked meanwhile; no series before its first flush here");
        _meter.CreateObservableGauge("engine.entities.active", () => Entities(monitor), "{entity}", "Entities alive on this node, by kind");
        _meter.CreateObservableGauge("engine.redis.round_trip",
            () => monitor.Readings.RedisRoundTripMs is { } ms ? [new Measurement<double>(ms)] : Array.Empty<Measurement<double>>(),
            "ms", "Latest Redis PING round trip (absent: the latest PING got no answer)");
        _meter.CreateObservableGauge("engine.redis.answer_age", () => Age(monitor.Readings.RedisAnsweredUtc, monitor), "s",
            "Seconds since Redis last answered a PING (since the node started consuming, if never; absent while it starts)");
        _meter.CreateObservableGauge("engine.kafka.answer_age", () => Age(monitor.Readings.KafkaAnsweredUtc, monitor), "s",
            "Seconds since Kafka last answered the lag probe (since the node started consuming, if never; absent while it starts)");
        _meter.CreateObservableCounter("engine.campaigns.refused", () => monitor.Node?.CampaignFeed.Refused ?? 0, "{record}",
            "Campaign bookings and bid adjustments refused by the campaign feed (out-of-range terms, not valid JSON): skipped, each logged as a warning");
        _meter.CreateObservableCounter("engine.gc.paced_collections", () => monitor.Node?.GcPacer.PacedCollections ?? 0, "{collection}",
            "Gen0 collections the node ran itself while keeping up (Gc:PacingMegabytes), beside the runtime's own");
        _meter.CreateObservableCounter("engine.pipeline.restarts", () => Per(monitor, n => n.PipelineRestarts.Users, n => n.PipelineRestarts.Campaigns),
            "{restart}", "Decision pipelines failed and restarted from their last commit, by input topic");
        _meter.CreateObservableCounter("engine.kafka.producer_renewals", () => Renewals(monitor), "{producer}",
            "Producers outside the pipelines (alerts: churn alerts, idle campaigns' adjustments, privacy acks; shadow: shadow scores) replaced after a fatal error");
        _meter.CreateObservableCounter("engine.privacy.requests", () => PrivacyOutcomes(monitor), "{request}",
            "Privacy requests this node finished, by outcome: acknowledged, dead_lettered (could not be acted on), skipped (its dead letter refused for good)");
        _meter.CreateObservableGauge("engine.privacy.waiting", () => monitor.Node?.Privacy.Waiting ?? 0, "{request}",
            "Privacy requests read and not yet carried out (running, retried, or behind the same user's)");
        _meter.CreateObservableGauge("engine.privacy.oldest_waiting", () => Math.Round(monitor.Node?.Privacy.OldestWaiting.TotalSeconds ?? 0, 1), "s",
            "How long the oldest waiting privacy request has waited (0: none): alert when an erasure is held up");
        _meter.CreateObservableGauge("engine.kafka.oldest_unacknowledged", () => Math.Round(monitor.Node?.Deliveries.OldestWaiting().TotalSeconds ?? 0, 1), "s",
            "How long the oldest decision, dead letter, campaign-event forward, churn alert, idle adjustment or privacy ack sent has waited for Kafka's acknowledgement (0: none): a stuck producer");
        _meter.CreateObservableGauge("engine.ready", () => monitor.Readiness().Ready ? 1 : 0, description: "1 when /readyz would answer 200");
        _meter.CreateObservableGauge("engine.model.serving", () => Serving(monitor), description:
            "1 for the version each model serves, by model and version: after a deploy, the version is the new one, or a reload was refused");
        _meter.CreateObservableCounter("engine.fairness.opportunities", () => Segments(monitor, s => s.Opportunities), "{event}",
            "Chances to decide, by decision kind, segment dimension and segment (device, region, tenure)");
        _meter.CreateObservableCounter("engine.fairness.decisions", () => Segments(monitor, s => s.Decisions), "{decision}",
            "Decisions made on those chances, by decision kind, segment dimension and segment");
        _meter.CreateObservableGauge("engine.fairness.disparity_ratio", () => Disparities(monitor), description:
            "Lowest segment decision rate over the highest, by decision kind and dimension (flagged under the configured line, 0.8 by default)");
    }

    private static IEnumerable<Measurement<int>> Serving(NodeMonitor monitor)
    {
        if (monitor.Node?.Models is not { } models) yield break;
        yield return new Measurement<int>(1, new("model", "churn"), new("version", models.Churn.Version));
        yield return new Measurement<int>(1, new("model", "bid"), new("version", models.Bid.Version));
        yield return new Measurement<int>(1, new("model", "recommender"), new("version", models.RecommenderVersion));
    }

    /// <summary>
    /// Nothing while the node starts: no probe has run, and an age counted from the monitor's start (before 2026-12-07) fired
    /// the Redis and Kafka alerts for a node still joining its cluster.
    /// </summary>
    private static IEnumerable<Measurement<double>> Age(DateTime answeredUtc, NodeMonitor monitor)
    {
        if (monitor.AttachedUtc is not { } attached) yield break;
        yield return new(Math.Round((DateTime.UtcNow - (answeredUtc > attached ? answeredUtc : attached)).TotalSeconds, 1));
    }

    private static IEnumerable<Measurement<long>> Segments(NodeMonitor monitor, Func<Engine.Models.Fairness.SegmentReport, long> value)
    {
        if (monitor.Node is not { } node) yield break;
        foreach (var d in node.Fairness.Report().Dimensions)
        foreach (var s in d.Segments)
            yield return new(value(s), new("kind", Engine.Models.Fairness.FairnessInstruments.KindTag(d.Kind)), new("dimension", d.Dimension), new("segment", s.Segment));
    }

    private static IEnumerable<Measurement<double>> Disparities(NodeMonitor monitor)
    {
        if (monitor.Node is not { } node) yield break;
        foreach (var d in node.Fairness.Report().Dimensions)
            if (d.DisparityRatio is { } ratio)
                yield return new(ratio, new("kind", Engine.Models.Fairness.FairnessInstruments.KindTag(d.Kind)), new("dimension", d.Dimension));
    }

    private static IEnumerable<Measurement<long>> Per(NodeMonitor monitor, Func<Node.EngineNode, long> users, Func<Node.EngineNode, long> campaigns)
    {
        if (monitor.Node is not { } node) yield break;
        yield return new(users(node), new KeyValuePair<string, object?>("topic", Topics.Clickstream));
        yield return new(campaigns(node), new KeyValuePair<string, object?>("topic", Topics.CampaignEvents));
    }

    private static IEnumerable<Measurement<long>> Renewals(NodeMonitor monitor)
    {
        if (monitor.Node is not { } node) yield break;
        yield return new(node.ProducerRenewals.Alerts, new KeyValuePair<string, object?>("producer", "alerts"));
        yield return new(node.ProducerRenewals.Shadow, new KeyValuePair<string, object?>("producer", "shadow"));
    }

    private static IEnumerable<Measurement<long>> PrivacyOutcomes(NodeMonitor monitor)
    {
        if (monitor.Node?.Privacy is not { } privacy) yield break;
        yield return new(privacy.Acknowledged, new KeyValuePair<string, object?>("outcome", "acknowledged"));
        yield return new(privacy.DeadLettered, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
        yield return new(privacy.Skipped, new KeyValuePair<string, object?>("outcome", "skipped"));
    }

    private static IEnumerable<Measurement<long>> Decisions(NodeMonitor monitor)
    {
        if (monitor.Node is not { Decisions: var d }) yield break;
        yield return new(d.Recommendations, new KeyValuePair<string, object?>("kind", "recommendation"));
        yield return new(d.BidDecisions, new KeyValuePair<string, object?>("kind", "bid_decision"));
        yield return new(d.BidAdjustments, new KeyValuePair<string, object?>("kind", "bid_adjustment"));
        yield return new(d.ChurnAlerts, new KeyValuePair<string, object?>("kind", "churn_alert"));
    }

    private static IEnumerable<Measurement<long>> Entities(NodeMonitor monitor)
    {
        var r = monitor.Readings;
        if (r.UserEntities >= 0) yield return new(r.UserEntities, new KeyValuePair<string, object?>("kind", "user"));
        if (r.CampaignEntities >= 0) yield return new(r.CampaignEntities, new KeyValuePair<string, object?>("kind", "campaign"));
    }

    public void Dispose() => _meter.Dispose();
}
