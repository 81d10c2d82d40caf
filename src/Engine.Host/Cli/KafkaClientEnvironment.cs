using Microsoft.Extensions.Configuration;

namespace Engine.Host.Cli;

/// <summary>
/// The operator commands (simulate, erase, consent, report) reach a secured Kafka with the same <c>Kafka:Client</c>
/// properties a node reads from its environment (e.g. <c>Kafka__Client__security.protocol=SASL_SSL</c>), so one set of
/// variables serves both. Values are passed to librdkafka and never printed.
/// </summary>
public static class KafkaClientEnvironment
{
    public static IReadOnlyDictionary<string, string> Read() =>
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection("Kafka:Client").GetChildren()
            .Where(property => property.Value is not null)
            .ToDictionary(property => property.Key, property => property.Value!, StringComparer.Ordinal);
}
