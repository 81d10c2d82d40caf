using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>How the producer flow writes.</summary>
/// <param name="ClientConfig">Passed to librdkafka as is (SASL, SSL, batch sizes, ...); idempotence and acks are set by the flow.</param>
/// <param name="Parallelism">
/// Records sent and not yet acknowledged; past it the flow stops pulling. Keep it below librdkafka's
/// <c>queue.buffering.max.messages</c> (100 000 by default), or a send fails the stage with a full local queue.
/// </param>
/// <param name="LingerMs">
/// How long librdkafka waits to fill a batch. 0 (the default) sends a record as soon as librdkafka's sender sees it;
/// under load batches still form from what queues while earlier requests are in flight. On the e2e bench, 0 for the
/// decisions and the campaign-event forwards (instead of 1 and 5 ms) took the event-to-decision p50 from ~4.7 to
/// ~3.5 ms and the p99 at 500-2,000 events/s from ~9.7 to ~6 ms, for ~4-5% of the full-speed rate (more, smaller
/// requests; docs/performance.md, round 12). No linger suits this flow because it sends a batch's records together;
/// a producer of single records at ~10,000 a second makes a request each (docs/kafka.md: the embedded broker falls
/// behind). A <c>linger.ms</c> in <paramref name="ClientConfig"/> wins.
/// </param>
public sealed record KafkaProducerSettings(
    string BootstrapServers,
    IReadOnlyDictionary<string, string>? ClientConfig = null,
    int Parallelism = 20_000,
    double LingerMs = 0)
{
    /// <summary>The librdkafka configuration the flow uses (public so a plain client can be configured the same way).</summary>
    public ProducerConfig ToProducerConfig()
    {
        var config = new ProducerConfig(ClientConfig?.ToDictionary() ?? [])
        {
            BootstrapServers = BootstrapServers,
            // No duplicates or reordering on retries, and a record counts as written only once all replicas have it.
            EnableIdempotence = true,
            Acks = Acks.All,
            // Results carry topic, partition and offset only: do not copy keys, values and headers back into each report.
            DeliveryReportFields = "none",
        };
        // An operator's linger (e.g. for fewer, fuller requests to a remote cluster) wins over this flow's default.
        if (config.Get("linger.ms") is null && config.Get("queue.buffering.max.ms") is null) config.LingerMs = LingerMs;
        return config;
    }
}
