using System.ComponentModel.DataAnnotations;

namespace Engine.Actors.Features;

/// <summary>
/// Where features live in Redis and how a flush retries. Built in, not read from configuration (the host sets only
/// <see cref="KeyPrefix"/> and the replicas' acknowledgement, from <c>Redis:*</c>): every node, the training and the fault tests' reference must
/// agree on the lateness and the windows.
/// </summary>
public sealed class FeatureStoreOptions
{
    /// <summary>Prepended to every key, so several engines (or tests) can share one Redis.</summary>
    [Required]
    public string KeyPrefix { get; set; } = "engine:f:";

    /// <summary>An entity not written for this long disappears: past the 30-day windows it would read as empty anyway.</summary>
    public TimeSpan EntityTtl { get; set; } = TimeSpan.FromDays(31);

    /// <summary>
    /// A campaign's key, longer: its lifetime spend (what budget exhaustion is checked against) and pacing memory are not
    /// windows, and a campaign silent for a month within a longer flight (paused, or spent out) came back with a spend of 0
    /// and bid again. A flight may last up to this long after its last event.
    /// </summary>
    public TimeSpan CampaignTtl { get; set; } = TimeSpan.FromDays(400);

    /// <summary>Attempts per flush before reporting "not acknowledged" (the caller keeps the changes and must not commit).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many replicas must hold a flush (Redis's WAIT) before it is acknowledged and its offsets may be committed to
    /// Kafka (<c>Redis:AcknowledgingReplicas</c>). 0: the primary's memory, so a failover to a replica that had not yet
    /// received a flush loses it for good, its events already committed. Fewer replicas than this stall the flushes (retried,
    /// with backpressure) rather than lose that guarantee.
    /// </summary>
    [Range(0, 16)]
    public int AcknowledgingReplicas { get; set; }

    /// <summary>How long one flush waits for <see cref="AcknowledgingReplicas"/> before it is retried.</summary>
    public TimeSpan ReplicaWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Events older than their entity's latest event minus this are dropped as late.</summary>
    public TimeSpan AllowedLateness { get; set; } = Engine.Models.Features.State.Resolutions.DefaultAllowedLateness;
}
