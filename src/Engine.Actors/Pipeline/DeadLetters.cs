using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Turns a refused input record into its dead-letter record: the original bytes, where they came from, and why. A record
/// near Kafka's size limit would not fit whole once base64-encoded (a third larger) beside its key: its letter could not be
/// sent, the stream would fail on it and replay it for ever. So the payload is cut at <see cref="MaxPayloadBytes"/> and the
/// key at <see cref="MaxKeyBytes"/>, marked as truncated; the whole record stays in the source topic at its offset. The
/// letter's JSON escapes only what JSON must: with the default (HTML-safe) escaping each <c>+</c> of the base64 took six
/// bytes, and a payload whose base64 is mostly <c>+</c> made a 4 MB letter that Kafka refused, the stream's poison pill
/// (review, 2026-12-06). A letter still above <see cref="MaxLetterBytes"/> (or the producer's smaller limit) goes without its payload.
/// </summary>
public static class DeadLetters
{
    public const int MaxPayloadBytes = 512 * 1024;
    public const int MaxKeyBytes = 1024;
    /// <summary>Below the producer's default <c>message.max.bytes</c> (1,000,000) with room for the key and headers.</summary>
    public const int MaxLetterBytes = 960_000;

    /// <summary>Room left under <c>message.max.bytes</c> for a letter's key, headers and record framing.</summary>
    private const int Framing = 1_000_000 - MaxLetterBytes;

    /// <summary>
    /// The largest letter a producer configured with <paramref name="config"/> sends: <see cref="MaxLetterBytes"/>, or less under a
    /// smaller <c>message.max.bytes</c>. Before, a letter of 960 KB at most was produced whatever the limit, and under a smaller one
    /// (an operator's <c>message.max.bytes=200000</c>, a 150 KB record refused) the producer refused it, the stream failed and
    /// replayed the same record for ever.
    /// </summary>
    public static int LetterLimit(Confluent.Kafka.ProducerConfig config) =>
        config.MessageMaxBytes is { } max ? Math.Clamp(max - Framing, 1_000, MaxLetterBytes) : MaxLetterBytes;

    // The contracts' own JSON options (EngineJson), with an encoder that escapes only what JSON must ("unsafe" only inside HTML).
    private static readonly JsonTypeInfo<DeadLetter> LetterJson = (JsonTypeInfo<DeadLetter>)new JsonSerializerOptions(EngineJson.Default.Options)
        { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }.GetTypeInfo(typeof(DeadLetter));

    /// <param name="maxLetterBytes">The letter's most bytes (<see cref="LetterLimit"/>): past it, it goes without its payload.</param>
    public static ProducerRecord Record(KafkaRecord source, string reason, string deadLetterTopic, DateTimeOffset now, int maxLetterBytes = MaxLetterBytes)
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
        var value = JsonSerializer.SerializeToUtf8Bytes(letter, LetterJson);
        if (value.Length > maxLetterBytes)
            value = JsonSerializer.SerializeToUtf8Bytes(letter with { PayloadBase64 = "", PayloadTruncated = true, PayloadBytes = payload.Length }, LetterJson);
        return new ProducerRecord(deadLetterTopic, key, value);
    }
}
