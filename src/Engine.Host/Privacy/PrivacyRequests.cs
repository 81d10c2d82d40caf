using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Engine.Host.Node;
using Engine.Models.Contracts;

namespace Engine.Host.Privacy;

/// <summary>
/// The requester's side of <see cref="Topics.Privacy"/>: sends a request (key = user id) and, if asked, waits for its
/// acknowledgement on <see cref="Topics.PrivacyAcks"/>. Used by <c>engine erase</c> and <c>engine consent</c>, and by tests.
/// </summary>
public sealed class PrivacyRequests(string bootstrap, IReadOnlyDictionary<string, string>? client = null)
{
    private static readonly Dictionary<string, string> NoClientConfig = new(StringComparer.Ordinal);

    /// <summary>Sends <paramref name="request"/>; with a <paramref name="wait"/>, returns its acknowledgement (null: none in time).</summary>
    /// <param name="sent">Called once Kafka has the request, before the wait for its acknowledgement.</param>
    /// <param name="ct">Cancels before the send, or the wait after it (<see cref="OperationCanceledException"/>); a send under
    /// way is not cancelled, so the caller can say whether the request went out.</param>
    public async Task<PrivacyAck?> SendAsync(PrivacyRequest request, TimeSpan? wait, CancellationToken ct, Action? sent = null)
    {
        // Where the acks topic ends now: the acknowledgement comes after, so nothing before it needs reading.
        using var consumer = wait is null ? null : AckReader();
        ct.ThrowIfCancellationRequested();
        // murmur2, as the engine and the contract key them (docs/contracts.md): a user's requests share one partition and are
        // carried out in order. librdkafka's default (CRC32) put an erasure and a consent of one user on two partitions,
        // where the older consent could run after the erasure and store the user's consent again (review, 2026-12-06).
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig(KafkaClientProperties.ForProducer(client ?? NoClientConfig))
            { BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, Partitioner = Partitioner.Murmur2Random }).Build();
        await producer.ProduceAsync(Topics.Privacy, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(request.UserId),
            Value = JsonSerializer.SerializeToUtf8Bytes(request, EngineJson.Default.PrivacyRequest),
        }, CancellationToken.None); // a send cancelled half-way is queued anyway, and its fate unknown
        sent?.Invoke();
        return consumer is null ? null : await Task.Run(() => AwaitAck(consumer, request.RequestId, wait!.Value, ct), CancellationToken.None);
    }

    private IConsumer<byte[], byte[]> AckReader()
    {
        var config = new ConsumerConfig(KafkaClientProperties.ForConsumer(client ?? NoClientConfig))
        {
            BootstrapServers = bootstrap, GroupId = "engine-privacy-requester-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false,
        };
        List<int> partitions;
        using (var admin = new AdminClientBuilder(new AdminClientConfig(client?.ToDictionary() ?? []) { BootstrapServers = bootstrap }).Build())
        {
            // Every topic's metadata: asked for by name, a Kafka that creates topics on demand would create this one with its own partition count.
            var acks = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.SingleOrDefault(t => t.Topic == Topics.PrivacyAcks)
                       ?? throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPart,
                           $"{Topics.PrivacyAcks} does not exist on {bootstrap}: start an engine node first (it creates its topics)"));
            partitions = [.. acks.Partitions.Select(p => p.PartitionId)];
        }
        var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        try
        {
            consumer.Assign(partitions.Select(p => new TopicPartitionOffset(Topics.PrivacyAcks, p,
                consumer.QueryWatermarkOffsets(new TopicPartition(Topics.PrivacyAcks, p), TimeSpan.FromSeconds(10)).High)));
            return consumer;
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    private static PrivacyAck? Parse(byte[]? value)
    {
        try
        {
            return value is null ? null : JsonSerializer.Deserialize(value, EngineJson.Default.PrivacyAck);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static PrivacyAck? AwaitAck(IConsumer<byte[], byte[]> consumer, string requestId, TimeSpan wait, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message is not { } message) continue;
            // Every requester's acknowledgements pass here: a record that is not one (another schema, garbage) is not ours.
            if (Parse(message.Value) is { } ack && ack.RequestId == requestId) return ack;
        }
        return null;
    }
}
