namespace Engine.Host.Embedded;

/// <summary>Kafka protocol API keys the embedded broker can be told to fail (<see cref="EmbeddedKafka.FailNextRequests"/>).</summary>
public enum KafkaApi : short
{
    Produce = 0,
    Fetch = 1,
    OffsetCommit = 8,
    OffsetFetch = 9,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
}
