using System.Text;
using System.Text.Json;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;

namespace Engine.Actors.Pipeline;

/// <summary>Turns a refused input record into its dead-letter record: the original bytes, where they came from, and why.</summary>
public static class DeadLetters
{
    public static ProducerRecord Record(KafkaRecord source, string reason, string deadLetterTopic, DateTimeOffset now)
    {
        var letter = new DeadLetter
        {
            Reason = reason,
            SourceTopic = source.Topic,
            Partition = source.Partition,
            Offset = source.Offset,
            Key = source.Key is null ? null : Encoding.UTF8.GetString(source.Key),
            PayloadBase64 = Convert.ToBase64String(source.Value ?? []),
            DeadLetteredAt = now,
        };
        return new ProducerRecord(deadLetterTopic, source.Key, JsonSerializer.SerializeToUtf8Bytes(letter, EngineJson.Default.DeadLetter));
    }
}
