using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>How the producer flow writes.</summary>
/// <param name="ClientConfig">Passed to librdkafka as is (SASL, SSL, batch sizes, ...); idempotence and acks are set by the flow.</param>
/// <param name="Parallelism">
/// Records sent and not yet acknowledged; past it the flow stops pulling. Keep it below librdkafka's
/// <c>queue.buffering.max.messages</c> (100 000 by default), or a send fails the stage with a full local queue.
/// </param>
/// <param name="LingerMs">How long librdkafka waits to fill a batch.</param>
public sealed record KafkaProducerSettings(
    string BootstrapServers,
    IReadOnlyDictionary<string, string>? ClientConfig = null,
    int Parallelism = 20_000,
    double LingerMs = 1)
{
    /// <summary>The librdkafka configuration the flow uses (public so a plain client can be configured the same way).</summary>
    public ProducerConfig ToProducerConfig() => new(ClientConfig?.ToDictionary() ?? [])
    {
        BootstrapServers = BootstrapServers,
        // No duplicates or reordering on retries, and a record counts as written only once all replicas have it.
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = LingerMs,
        // Results carry topic, partition and offset only: do not copy keys, values and headers back into each report.
        DeliveryReportFields = "none",
    };
}
