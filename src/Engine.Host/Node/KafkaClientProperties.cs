namespace Engine.Host.Node;

/// <summary>
/// <c>Kafka:Client</c> holds properties for every client of the node (security for all of them, tuning for some).
/// librdkafka warns about, and ignores, a consumer property given to a producer and a producer property given to a
/// consumer; this keeps each out of the other (e.g. <c>linger.ms</c> 0, the low-latency setting, warned once per consumer).
/// </summary>
public static class KafkaClientProperties
{
    private static readonly string[] ConsumerOnlyPrefixes =
    [
        "fetch.", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "group.", "auto.offset.reset", "auto.commit.",
        "enable.auto.", "partition.assignment.strategy", "isolation.level", "queued.", "max.partition.fetch.bytes", "check.crcs",
    ];

    private static readonly string[] ProducerOnlyPrefixes =
    [
        "linger.ms", "queue.buffering.", "batch.", "acks", "request.required.acks", "enable.idempotence", "compression.",
        "message.send.max.retries", "retries", "delivery.timeout.ms", "message.timeout.ms", "partitioner", "max.in.flight",
        "transactional.id", "transaction.timeout.ms",
    ];

    public static Dictionary<string, string> ForProducer(IReadOnlyDictionary<string, string> client) => Without(client, ConsumerOnlyPrefixes);

    public static Dictionary<string, string> ForConsumer(IReadOnlyDictionary<string, string> client) => Without(client, ProducerOnlyPrefixes);

    /// <summary><paramref name="client"/> with a <c>fetch.wait.max.ms</c> set below <paramref name="ms"/> raised to it.</summary>
    public static Dictionary<string, string> WithFetchWaitAtLeast(Dictionary<string, string> client, int ms)
    {
        var raised = new Dictionary<string, string>(client, StringComparer.Ordinal);
        if (raised.TryGetValue("fetch.wait.max.ms", out var value) && int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var wait) && wait < ms)
            raised["fetch.wait.max.ms"] = ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return raised;
    }

    private static Dictionary<string, string> Without(IReadOnlyDictionary<string, string> client, string[] prefixes) =>
        client.Where(p => !prefixes.Any(prefix => p.Key.StartsWith(prefix, StringComparison.Ordinal))).ToDictionary(StringComparer.Ordinal);
}
