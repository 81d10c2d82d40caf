namespace Engine.Testing.Kafka;

/// <summary>Which Kafka a test run talks to.</summary>
public enum KafkaKind
{
    /// <summary>An address given in <c>ENGINE_TEST_KAFKA</c>.</summary>
    External,
    /// <summary>A broker container started by Testcontainers (a Docker engine answered).</summary>
    Testcontainers,
    /// <summary>The embedded librdkafka mock cluster (development and test broker, in process).</summary>
    Embedded,
}
