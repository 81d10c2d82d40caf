using System.Text.Json;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.Actors.Tests.Pipeline;

public sealed class DeadLettersTests
{
    /// <summary>
    /// Bytes whose base64 is all '+': HTML-safe JSON escaping wrote each as six bytes, a 4 MB letter Kafka refuses, and the
    /// stream failed on the record and replayed it for ever (review, 2026-12-06).
    /// </summary>
    [Fact]
    public void A_letter_stays_within_kafkas_record_size_whatever_its_payloads_base64_is_made_of()
    {
        var plus = new byte[800_000];
        for (var i = 0; i < plus.Length; i++) plus[i] = (byte)((i % 3) switch { 0 => 0xFB, 1 => 0xEF, _ => 0xBE });
        Assert.All(Convert.ToBase64String(plus, 0, 3_000), c => Assert.Equal('+', c));

        var record = DeadLetters.Record(new KafkaRecord("engine.clickstream", 2, 41, "k"u8.ToArray(), plus, DateTime.UtcNow), "oversized", "dlq", DateTimeOffset.UtcNow);

        Assert.InRange(record.Value!.Length, 1, DeadLetters.MaxLetterBytes);
        var letter = JsonSerializer.Deserialize(record.Value, EngineJson.Default.DeadLetter)!;
        Assert.Equal(plus.AsSpan(0, DeadLetters.MaxPayloadBytes).ToArray(), Convert.FromBase64String(letter.PayloadBase64));
        Assert.Equal((true, plus.Length, 41L), (letter.PayloadTruncated, letter.PayloadBytes, letter.Offset));
    }

    [Fact]
    public void A_letter_keeps_room_under_the_producers_message_size_limit()
    {
        Assert.Equal(DeadLetters.MaxLetterBytes, DeadLetters.LetterLimit(new Confluent.Kafka.ProducerConfig()));
        Assert.Equal(DeadLetters.MaxLetterBytes, DeadLetters.LetterLimit(new Confluent.Kafka.ProducerConfig { MessageMaxBytes = 4_000_000 }));
        Assert.Equal(160_000, DeadLetters.LetterLimit(new Confluent.Kafka.ProducerConfig { MessageMaxBytes = 200_000 }));
    }

    [Fact]
    public void A_letter_that_would_still_be_too_large_goes_without_its_payload_and_says_so()
    {
        var key = new byte[DeadLetters.MaxKeyBytes];
        Array.Fill(key, (byte)'k');
        var reason = "refused: " + new string('r', 400_000); // a reason (a parser's message) far longer than any the engine writes

        var record = DeadLetters.Record(new KafkaRecord("engine.clickstream", 0, 7, key, new byte[700_000], DateTime.UtcNow), reason, "dlq", DateTimeOffset.UtcNow);

        Assert.InRange(record.Value!.Length, 1, DeadLetters.MaxLetterBytes);
        var letter = JsonSerializer.Deserialize(record.Value, EngineJson.Default.DeadLetter)!;
        Assert.Equal((reason, "", true, 700_000), (letter.Reason, letter.PayloadBase64, letter.PayloadTruncated, letter.PayloadBytes));
    }
}
