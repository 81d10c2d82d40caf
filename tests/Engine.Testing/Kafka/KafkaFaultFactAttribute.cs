using Xunit;

namespace Engine.Testing.Kafka;

/// <summary>
/// A test that injects broker faults: it runs on the embedded Kafka (as on this machine) and is skipped, saying why,
/// when the run targets a real broker (<c>ENGINE_TEST_KAFKA</c> or Testcontainers).
/// </summary>
public sealed class KafkaFaultFactAttribute : FactAttribute
{
    public KafkaFaultFactAttribute()
    {
        if (KafkaFixture.FaultInjectionUnavailableReason is { } reason) Skip = reason;
    }
}
