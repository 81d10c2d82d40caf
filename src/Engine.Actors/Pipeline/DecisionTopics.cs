using System.Text;
using System.Text.Json;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;

namespace Engine.Actors.Pipeline;

/// <summary>Where each kind of decision goes, and with which key (see docs/contracts.md).</summary>
public sealed record DecisionTopics(
    string Recommendations = Topics.Recommendations,
    string BidDecisions = Topics.BidDecisions,
    string BidAdjustments = Topics.BidAdjustments,
    string ChurnAlerts = Topics.ChurnAlerts,
    string DeadLetters = Topics.DeadLetters)
{
    /// <summary>Every output topic, dead letters included (what start-up creates when missing).</summary>
    public IReadOnlyList<string> All => [Recommendations, BidDecisions, BidAdjustments, ChurnAlerts, DeadLetters];

    public ProducerRecord Record(IDecision decision) => decision switch
    {
        Recommendation r => new(Recommendations, Key(r.UserId), JsonSerializer.SerializeToUtf8Bytes(r, EngineJson.Default.Recommendation)),
        BidDecision b => new(BidDecisions, Key(b.RequestId), JsonSerializer.SerializeToUtf8Bytes(b, EngineJson.Default.BidDecision)),
        BidAdjustment a => new(BidAdjustments, Key(a.CampaignId), JsonSerializer.SerializeToUtf8Bytes(a, EngineJson.Default.BidAdjustment)),
        ChurnAlert c => new(ChurnAlerts, Key(c.UserId), JsonSerializer.SerializeToUtf8Bytes(c, EngineJson.Default.ChurnAlert)),
        _ => throw new ArgumentOutOfRangeException(nameof(decision), decision.GetType().Name, "no topic for this decision"),
    };

    /// <summary>Sends one decision outside a stream's batches (a sweep's churn alert, an idle campaign's adjustment); completes once Kafka has it.</summary>
    public Task ProduceAsync(Confluent.Kafka.IProducer<byte[], byte[]> producer, IDecision decision)
    {
        var record = Record(decision);
        return producer.ProduceAsync(record.Topic, new Confluent.Kafka.Message<byte[], byte[]> { Key = record.Key!, Value = record.Value! });
    }

    private static byte[] Key(string key) => Encoding.UTF8.GetBytes(key);
}
