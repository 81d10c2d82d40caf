using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Engine.Models.Contracts;

namespace Engine.Host.Demo;

/// <summary>
/// Books campaigns the way an advertiser's system would: each spec on the compacted campaigns topic, keyed by
/// campaign id (a later spec for the same id replaces the earlier one). Every engine node's campaign feed reads them.
/// </summary>
public static class CampaignBookings
{
    /// <param name="client">librdkafka properties (SASL, SSL) for a secured Kafka.</param>
    public static async Task PublishAsync(string bootstrapServers, IEnumerable<CampaignSpec> specs, string topic = Topics.Campaigns,
        IReadOnlyDictionary<string, string>? client = null, CancellationToken cancellationToken = default)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig(client?.ToDictionary() ?? [])
        {
            BootstrapServers = bootstrapServers, Partitioner = Partitioner.Murmur2Random, EnableIdempotence = true,
        }).Build();
        foreach (var spec in specs)
            await producer.ProduceAsync(topic, new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes(spec.CampaignId),
                Value = JsonSerializer.SerializeToUtf8Bytes(spec, EngineJson.Default.CampaignSpec),
            }, cancellationToken);
    }
}
