namespace Engine.Actors.Pipeline;

/// <summary>
/// When a record reached Kafka, as far as this node can tell: its timestamp, or the node's clock when that is earlier or
/// the record has none (Kafka's "not available" reads as 1970). What a bid's <c>tmax</c> runs from, and what an event's
/// time may not be far ahead of. A producer's clock running ahead cannot push either later than now.
/// </summary>
public static class KafkaArrival
{
    public static DateTime Of(DateTime recordUtc, DateTime nowUtc) => recordUtc.Year < 2000 || recordUtc > nowUtc ? nowUtc : recordUtc;
}
