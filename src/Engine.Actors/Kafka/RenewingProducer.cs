using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// A producer for senders that outlive any one stream (the churn sweeper's alerts, idle campaigns' bid adjustments, privacy
/// acks, shadow scores), which replaces itself after a fatal error. An idempotent producer that fails fatally (its epoch
/// fenced, a sequence gap it cannot repair) refuses every later send until it is recreated (librdkafka's documented remedy);
/// before 2026-12-07 these senders kept that one producer, so after such an error every churn alert and privacy ack was
/// refused until the process restarted, with <c>/readyz</c> green. Sends queued on the failed producer fail as before
/// (each sender retries: the sweep re-raises the alert, privacy control retries the ack); the first send after the error
/// builds a new producer. The decision pipelines' producers need none of this: a fatal error fails their stream, and its
/// restart builds a new one. With a <see cref="DeliveryWatch"/>, what waits for Kafka's acknowledgement is watched as the
/// pipelines' sends are (<c>/readyz</c>: before 2026-12-07 a churn alert or privacy ack stuck on a partition without a leader
/// left the node ready).
/// </summary>
public sealed class RenewingProducer : IProducer<byte[], byte[]>
{
    private readonly ProducerConfig _config;
    private readonly Action<Error>? _onFatal;
    private readonly Lock _renewing = new();
    private IProducer<byte[], byte[]> _current;
    private IProducer<byte[], byte[]>? _failed;
    private int _renewals;
    private readonly ConcurrentDictionary<long, long>? _waiting; // send number -> Stopwatch timestamp, when watched
    private readonly IDisposable? _watched;
    private long _sends;
    private bool _disposed;

    /// <param name="onFatal">Told of each fatal error (to log it), on librdkafka's thread.</param>
    /// <param name="watch">Where the oldest send not yet acknowledged is reported; none: not watched.</param>
    public RenewingProducer(ProducerConfig config, Action<Error>? onFatal = null, DeliveryWatch? watch = null)
    {
        (_config, _onFatal) = (config, onFatal);
        _current = Build();
        if (watch is null) return;
        _waiting = new ConcurrentDictionary<long, long>();
        _watched = watch.Watch(OldestSentAt);
    }

    /// <summary>When the oldest send still waiting for Kafka went out (a <see cref="Stopwatch"/> timestamp), or null.</summary>
    private long? OldestSentAt()
    {
        long? oldest = null;
        foreach (var sentAt in _waiting!.Values)
            if (oldest is null || sentAt < oldest) oldest = sentAt;
        return oldest;
    }

    /// <summary>Producers built to replace one that failed fatally, since this one was created.</summary>
    public int Renewals => Volatile.Read(ref _renewals);

    /// <summary>The producer to send on: a new one in place of one that has failed fatally.</summary>
    private IProducer<byte[], byte[]> Current
    {
        get
        {
            var current = Volatile.Read(ref _current);
            if (!ReferenceEquals(Volatile.Read(ref _failed), current)) return current;
            lock (_renewing)
            {
                ObjectDisposedException.ThrowIf(_disposed, this); // closed: nothing would ever close a new one
                if (!ReferenceEquals(_failed, _current)) return _current;
                var failed = _current;
                Volatile.Write(ref _current, Build());
                Interlocked.Increment(ref _renewals);
                _ = Task.Run(() => Retire(failed));
                return _current;
            }
        }
    }

    /// <summary>
    /// Closes a producer that failed fatally once every send it holds has its delivery report (failed, or answered by the
    /// broker it was already with): closed at once, the reports that came later were dropped, and those sends never
    /// completed (a review). At most <c>message.timeout.ms</c>, after which librdkafka reports each one as timed out.
    /// </summary>
    private void Retire(IProducer<byte[], byte[]> failed)
    {
        try
        {
            failed.Flush(TimeSpan.FromMilliseconds((_config.MessageTimeoutMs ?? 300_000) + 5_000));
        }
        catch (KafkaException)
        {
            // Flushing a failed producer may fail as well: what it holds is reported as it closes.
        }
        finally
        {
            failed.Dispose();
        }
    }

    private IProducer<byte[], byte[]> Build() =>
        new ProducerBuilder<byte[], byte[]>(_config)
            .SetErrorHandler((producer, error) =>
            {
                if (!error.IsFatal) return;
                Volatile.Write(ref _failed, producer);
                _onFatal?.Invoke(error);
            })
            .Build();

    public Handle Handle => Current.Handle;
    public string Name => Current.Name;
    public int AddBrokers(string brokers) => Current.AddBrokers(brokers);
    public void SetSaslCredentials(string username, string password) => Current.SetSaslCredentials(username, password);

    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) =>
        SendAsync(producer => producer.ProduceAsync(topic, message, cancellationToken));

    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(TopicPartition topicPartition, Message<byte[], byte[]> message,
        CancellationToken cancellationToken = default) => SendAsync(producer => producer.ProduceAsync(topicPartition, message, cancellationToken));

    public void Produce(string topic, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) =>
        Send(deliveryHandler, (producer, handler) => producer.Produce(topic, message, handler));

    public void Produce(TopicPartition topicPartition, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) =>
        Send(deliveryHandler, (producer, handler) => producer.Produce(topicPartition, message, handler));

    private async Task<DeliveryResult<byte[], byte[]>> SendAsync(Func<IProducer<byte[], byte[]>, Task<DeliveryResult<byte[], byte[]>>> send)
    {
        var number = Watch();
        try
        {
            var producer = Current;
            try
            {
                return await send(producer).ConfigureAwait(false);
            }
            catch (ObjectDisposedException) when (!ReferenceEquals(producer, Volatile.Read(ref _current)))
            {
                return await send(Current).ConfigureAwait(false); // taken as it was replaced, and closed since
            }
        }
        finally
        {
            Unwatch(number);
        }
    }

    private void Send(Action<DeliveryReport<byte[], byte[]>>? delivered, Action<IProducer<byte[], byte[]>, Action<DeliveryReport<byte[], byte[]>>?> send)
    {
        var number = Watch();
        var handler = number == 0 ? delivered : report =>
        {
            Unwatch(number);
            delivered?.Invoke(report);
        };
        try
        {
            var producer = Current;
            try
            {
                send(producer, handler);
            }
            catch (ObjectDisposedException) when (!ReferenceEquals(producer, Volatile.Read(ref _current)))
            {
                send(Current, handler); // taken as it was replaced, and closed since
            }
        }
        catch
        {
            Unwatch(number); // refused at once (its queue full): nothing waits
            throw;
        }
    }

    /// <summary>Notes a send as waiting for Kafka when watched: its number (0 when not watched).</summary>
    private long Watch()
    {
        if (_waiting is null) return 0;
        var number = Interlocked.Increment(ref _sends);
        _waiting[number] = Stopwatch.GetTimestamp();
        return number;
    }

    private void Unwatch(long number)
    {
        if (number != 0) _waiting!.TryRemove(number, out _);
    }

    public int Poll(TimeSpan timeout) => Current.Poll(timeout);
    public int Flush(TimeSpan timeout) => Volatile.Read(ref _current).Flush(timeout);
    public void Flush(CancellationToken cancellationToken = default) => Volatile.Read(ref _current).Flush(cancellationToken);

    // Not transactional: a transaction cannot move to a new producer halfway, so these senders have none.
    public void InitTransactions(TimeSpan timeout) => throw NotTransactional();
    public void BeginTransaction() => throw NotTransactional();
    public void CommitTransaction(TimeSpan timeout) => throw NotTransactional();
    public void CommitTransaction() => throw NotTransactional();
    public void AbortTransaction(TimeSpan timeout) => throw NotTransactional();
    public void AbortTransaction() => throw NotTransactional();
    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        throw NotTransactional();

    private static NotSupportedException NotTransactional() => new("A renewing producer is not transactional: a transaction cannot move to its replacement");

    public void Dispose()
    {
        lock (_renewing)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _watched?.Dispose();
        Volatile.Read(ref _current).Dispose();
    }
}
