using System.Text;
using System.Text.Json;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Turns a refused input record into its dead-letter record: the original bytes, where they came from, and why. A record
/// near Kafka's size limit would not fit whole once base64-encoded (a third larger) beside its key: its letter could not be
/// sent, the stream would fail on it and replay it for ever. So the payload is cut at <see cref="MaxPayloadBytes"/> and the
/// key at <see cref="MaxKeyBytes"/>, marked as truncated; the whole record stays in the source topic at its offset.
/// </summary>
public static class DeadLetters
{
    public const int MaxPayloadBytes = 512 * 1024;
    public const int MaxKeyBytes = 1024;

    public static ProducerRecord Record(KafkaRecord source, string reason, string deadLetterTopic, DateTimeOffset now)
    {
        var payload = source.Value ?? [];
        var key = source.Key is { Length: > MaxKeyBytes } longKey ? longKey[..MaxKeyBytes] : source.Key;
        var truncated = payload.Length > MaxPayloadBytes || !ReferenceEquals(key, source.Key);
        var letter = new DeadLetter
        {
            Reason = reason,
            SourceTopic = source.Topic,
            Partition = source.Partition,
            Offset = source.Offset,
            Key = key is null ? null : Encoding.UTF8.GetString(key),
            PayloadBase64 = Convert.ToBase64String(payload, 0, Math.Min(payload.Length, MaxPayloadBytes)),
            DeadLetteredAt = now,
            PayloadTruncated = truncated ? true : null,
            PayloadBytes = truncated ? payload.Length : null,
        };
        return new ProducerRecord(deadLetterTopic, key, JsonSerializer.SerializeToUtf8Bytes(letter, EngineJson.Default.DeadLetter));
    }
}
