using Confluent.Kafka;

namespace Engine.FaultTests.Harness;

/// <summary>
/// How far a consumer group has committed on a topic (records below the committed offsets, summed over partitions),
/// read from the broker: the progress of an engine running in another process. Polled in the background, since an
/// answer takes a round trip and the broker may be slow while an engine rejoins.
/// </summary>
public sealed class CommittedOffsets : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly List<TopicPartition> _partitions;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _poller;
    private long _total;

    public CommittedOffsets(string bootstrap, string group, string topic, int partitions)
    {
        // Never subscribes, so it never joins the group: it only asks the coordinator for the group's offsets.
        _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group, EnableAutoCommit = false }).Build();
        _partitions = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToList();
        _poller = Task.Factory.StartNew(Poll, TaskCreationOptions.LongRunning);
    }

    public long Total => Interlocked.Read(ref _total);

    /// <summary>The group's committed offset of each partition now (the next record to read; 0 when none), asked of the broker.</summary>
    public IReadOnlyDictionary<int, long> Now() =>
        _consumer.Committed(_partitions, TimeSpan.FromSeconds(10)).ToDictionary(c => c.Partition.Value, c => Math.Max(0, c.Offset.Value));

    private void Poll()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var committed = _consumer.Committed(_partitions, TimeSpan.FromSeconds(5));
                Interlocked.Exchange(ref _total, committed.Sum(c => Math.Max(0, c.Offset.Value)));
            }
            catch (KafkaException)
            {
                // Coordinator busy or away: ask again next round.
            }
            _stop.Token.WaitHandle.WaitOne(250);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _poller.Wait(TimeSpan.FromSeconds(10));
        _consumer.Dispose();
        _stop.Dispose();
    }
}
