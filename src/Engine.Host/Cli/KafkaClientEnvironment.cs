using Microsoft.Extensions.Configuration;

namespace Engine.Host.Cli;

/// <summary>
/// The operator commands (simulate, erase, consent, report) reach a secured Kafka with the same <c>Kafka:Client</c>
/// properties a node reads from its environment (e.g. <c>Kafka__Client__security.protocol=SASL_SSL</c>), so one set of
/// variables serves both (and the same <c>Kafka__Topics__*</c> names). Values are passed to librdkafka and never printed.
/// </summary>
public static class KafkaClientEnvironment
{
    /// <summary>The decision topics' names as a node reads them from its environment (<c>Kafka__Topics__*</c>), defaults otherwise.</summary>
    public static Engine.Actors.Pipeline.DecisionTopics Topics()
    {
        var topics = new Configuration.TopicOptions();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection("Kafka:Topics").Bind(topics);
        return topics.ToDecisionTopics();
    }

    public static IReadOnlyDictionary<string, string> Read() =>
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection("Kafka:Client").GetChildren()
            .Where(property => property.Value is not null)
            .ToDictionary(property => property.Key, property => property.Value!, StringComparer.Ordinal);
}
