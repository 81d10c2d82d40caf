namespace Engine.Models.Features;

/// <summary>Where an event sits in the Kafka topic that feeds an entity: its partition and offset.</summary>
public readonly record struct EventPosition(int Partition, long Offset);

/// <summary>What <c>Apply</c> did with an event.</summary>
public enum ApplyOutcome
{
    /// <summary>Counted in its event-time buckets.</summary>
    Applied,
    /// <summary>At or below the offset this state already covers for the partition: a replay, ignored.</summary>
    Duplicate,
    /// <summary>Older than the entity's latest event time minus the allowed lateness: dropped (and counted by the caller).</summary>
    Late,
}
