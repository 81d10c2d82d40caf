using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>An envelope whose records are sent; completed by librdkafka's delivery reports (on its own thread).</summary>
internal sealed class PendingEnvelope<TPass>
{
    private readonly Delivered[] _deliveries;
    private readonly Action<Error> _onError;
    private readonly WakeUp _wakeUp;
    private int _remaining;
    private volatile bool _done;

    public PendingEnvelope(IProducerEnvelope<TPass> envelope, Action<Error> onError, WakeUp wakeUp)
    {
        Envelope = envelope;
        _deliveries = envelope.Count == 0 ? [] : new Delivered[envelope.Count];
        _remaining = envelope.Count;
        _done = envelope.Count == 0;
        _onError = onError;
        _wakeUp = wakeUp;
    }

    public IProducerEnvelope<TPass> Envelope { get; }
    /// <summary>When its records were sent (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long SentAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
    public bool Done => _done;
    /// <summary>Records whose delivery report came (of those sent).</summary>
    public int Reported => Envelope.Count - Volatile.Read(ref _remaining);
    public ProducerResult<TPass> Result => new(_deliveries, Envelope.PassThrough);

    /// <summary>Report handler for the only record (one delegate per envelope, no closure per record).</summary>
    public void OnSingleReport(DeliveryReport<byte[], byte[]> report) => Record(0, report);

    public Action<DeliveryReport<byte[], byte[]>> ReportHandler(int index) => report => Record(index, report);

    private void Record(int index, DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError) _onError(report.Error);
        else _deliveries[index] = new Delivered(report.Topic, report.Partition.Value, report.Offset.Value);
        if (Interlocked.Decrement(ref _remaining) == 0) _done = true;
        _wakeUp.Signal();
    }
}
