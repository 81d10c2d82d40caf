using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>One record to write: topic, raw key and value, and headers if any.</summary>
public sealed record ProducerRecord(string Topic, byte[]? Key, byte[]? Value, Headers? Headers = null)
{
    /// <summary>The client makes a header list for every message produced without one; never written to, so one serves all.</summary>
    public static Headers NoHeaders { get; } = [];

    public Message<byte[], byte[]> ToMessage() => new() { Key = Key!, Value = Value!, Headers = Headers ?? NoHeaders };
}

/// <summary>What the producer flow takes: zero or more records, and a value (typically the input's offset) passed through.</summary>
public interface IProducerEnvelope<out TPass>
{
    int Count { get; }
    ProducerRecord this[int index] { get; }
    TPass PassThrough { get; }
}

/// <summary>Exactly one record.</summary>
public sealed record ProducerMessage<TPass>(string Topic, byte[]? Key, byte[]? Value, TPass PassThrough) : IProducerEnvelope<TPass>
{
    public int Count => 1;
    public ProducerRecord this[int index] =>
        index == 0 ? new ProducerRecord(Topic, Key, Value) : throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>
/// Any number of records for one input (an event may cause several decisions, or none): the pass-through comes out
/// only once all of them are acknowledged, and at once when there are none.
/// </summary>
public sealed record MultiMessage<TPass>(IReadOnlyList<ProducerRecord> Records, TPass PassThrough) : IProducerEnvelope<TPass>
{
    public int Count => Records.Count;
    public ProducerRecord this[int index] => Records[index];

    public static MultiMessage<TPass> PassThroughOnly(TPass passThrough) => new([], passThrough);
}

/// <summary>Where one record was written.</summary>
public sealed record Delivered(string Topic, int Partition, long Offset);

/// <summary>The acknowledgements of one envelope's records (in the envelope's order) and its pass-through.</summary>
public sealed record ProducerResult<TPass>(IReadOnlyList<Delivered> Deliveries, TPass PassThrough);
