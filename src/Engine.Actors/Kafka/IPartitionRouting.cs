using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>Where the poll thread puts a partition's messages, and whom it tells about assignments (poll thread only).</summary>
internal interface IPartitionRouting
{
    /// <summary>A partition was assigned: returns the queue its batches of messages go to.</summary>
    HandOffQueue<CommittableMessage[]> Assigned(TopicPartition partition);

    /// <summary>The lease for a new assignment exists (the partitioned source emits its sub-source here).</summary>
    void Started(PartitionLease lease);

    /// <summary>The partition is gone: its remaining messages must not be emitted.</summary>
    void Revoked(PartitionLease lease);

    /// <summary>The source stops emitting (<see cref="IKafkaControl.Stop"/> or shutdown).</summary>
    void Stopped();

    /// <summary>The consumer failed for good.</summary>
    void Failed(Exception error);
}
