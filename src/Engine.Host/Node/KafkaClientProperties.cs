namespace Engine.Host.Node;

/// <summary>
/// <c>Kafka:Client</c> holds properties for every client of the node (security for all of them, tuning for some).
/// librdkafka warns about, and ignores, a consumer property given to a producer; this keeps those out of producers.
/// </summary>
public static class KafkaClientProperties
{
    private static readonly string[] ConsumerOnlyPrefixes =
    [
        "fetch.", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "group.", "auto.offset.reset", "auto.commit.",
        "enable.auto.", "partition.assignment.strategy", "isolation.level", "queued.", "max.partition.fetch.bytes", "check.crcs",
    ];

    public static Dictionary<string, string> ForProducer(IReadOnlyDictionary<string, string> client) =>
        client.Where(p => !ConsumerOnlyPrefixes.Any(prefix => p.Key.StartsWith(prefix, StringComparison.Ordinal)))
            .ToDictionary(StringComparer.Ordinal);
}
