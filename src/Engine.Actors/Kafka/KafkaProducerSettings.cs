using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>How the producer flow writes.</summary>
/// <param name="ClientConfig">Passed to librdkafka as is (SASL, SSL, batch sizes, ...); idempotence and acks are set by the flow.</param>
/// <param name="Parallelism">
/// Records sent and not yet acknowledged; past it the flow stops pulling. librdkafka's own queue bound
/// (<c>queue.buffering.max.messages</c>, 100 000, and <c>queue.buffering.max.kbytes</c>, 1 GiB, by default) holds the rest of an
/// envelope until deliveries make room (before 2026-12-07 a full queue failed the stage).
/// </param>
/// <param name="MaxInFlightEnvelopes">
/// Envelopes sent and not yet passed on; past it the flow stops pulling too. Results leave in input order, so behind one
/// record Kafka has not acknowledged (its partition's leader away) every later envelope waits, and those without records
/// (an event that caused no decision) counted nothing against <paramref name="Parallelism"/>: the flow pulled on without
/// bound while the consumer read on.
/// </param>
/// <param name="LingerMs">
/// How long librdkafka waits to fill a batch (1 ms). Measured both ways on the e2e bench (docs/performance.md, round
/// 12): 0 for the decisions and the forwards took the event-to-decision p50 from ~4.6 to ~3.4 ms and the p99 at
/// 500-2,000 events/s from ~9.7 to ~6 ms, but cost ~10-15% more CPU per event at 10,000/s and at full speed (more,
/// smaller requests) without a better p99 at 10,000/s; so 1 ms stays. A deployment that runs well below its capacity
/// and wants the lowest latency sets <c>linger.ms</c> 0 in <paramref name="ClientConfig"/>, which wins over this.
/// </param>
public sealed record KafkaProducerSettings(
    string BootstrapServers,
    IReadOnlyDictionary<string, string>? ClientConfig = null,
    int Parallelism = 20_000,
    double LingerMs = 1,
    int MaxInFlightEnvelopes = 4_096)
{
    /// <summary>Where the flow says how long its oldest record has waited for Kafka (<c>/readyz</c>, <c>/metrics</c>); none: not watched.</summary>
    public DeliveryWatch? Watch { get; init; }

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
