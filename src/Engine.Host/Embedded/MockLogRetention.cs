using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Host.Embedded;

/// <summary>
/// Retention for the embedded broker: every <c>interval</c>, deletes the records that each named consumer group has
/// committed past. The mock finds a fetch's offset by walking the partition's log from its oldest message set (librdkafka
/// <c>rd_kafka_mock_msgset_find</c>: no offset index), so a log kept at its ~5 MB cap makes every fetch walk thousands of
/// message sets: 12% of the process CPU at 10,000 events/s in the e2e bench (docs/performance.md, round 7). A real broker
/// has an offset index and keeps records by time and size; this only keeps the mock's logs as short as its readers allow.
/// Records a group has not committed are never deleted, so a restarted engine resumes where it left off. Its consumers
/// never subscribe: asking for committed offsets does not join the group.
/// </summary>
public sealed class MockLogRetention : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly EmbeddedKafka _kafka;
    private readonly (IConsumer<Ignore, Ignore> Consumer, TopicPartition[] Partitions)[] _readers;
    private readonly Dictionary<TopicPartition, long> _trimmed = [];
    private readonly Lock _trimming = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _loop;

    /// <param name="readers">Each consumer group and the topic it reads; a topic read by several groups keeps what the slowest has not committed.</param>
    /// <param name="partitions">Partitions per topic.</param>
    public MockLogRetention(EmbeddedKafka kafka, IEnumerable<(string Group, string Topic)> readers, int partitions, TimeSpan interval, ILogger? logger = null)
    {
        _kafka = kafka;
        _logger = logger ?? NullLogger.Instance;
        _readers = [.. readers.Select(r => (new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers, GroupId = r.Group, EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build(), Enumerable.Range(0, partitions).Select(p => new TopicPartition(r.Topic, p)).ToArray()))];
        _loop = Task.Factory.StartNew(() => Run(interval), TaskCreationOptions.LongRunning);
    }

    private void Run(TimeSpan interval)
    {
        while (!_stop.Token.WaitHandle.WaitOne(interval))
        {
            try
            {
                TrimOnce();
            }
            catch (Exception e) when (e is KafkaException or InvalidOperationException)
            {
                // A broker set down by a fault test, or a group between generations: the next round tries again.
                _logger.LogDebug(e, "Embedded Kafka retention: trimming failed; retrying next round");
            }
        }
    }

    /// <summary>Deletes, per partition, what every group reading it has committed past; returns the partitions whose log start moved.</summary>
    public int TrimOnce()
    {
        lock (_trimming)
        {
            var safe = new Dictionary<TopicPartition, long>();
            foreach (var (consumer, partitions) in _readers)
                foreach (var committed in consumer.Committed(partitions, Timeout))
                {
                    // A group that has committed nothing yet on a partition holds all of it.
                    var offset = committed.Offset.Value < 0 ? 0 : committed.Offset.Value;
                    safe[committed.TopicPartition] = safe.TryGetValue(committed.TopicPartition, out var other) ? Math.Min(other, offset) : offset;
                }
            var moved = 0;
            foreach (var (partition, offset) in safe)
            {
                if (offset <= _trimmed.GetValueOrDefault(partition)) continue;
                _kafka.DeleteRecordsBefore(partition.Topic, partition.Partition.Value, offset);
                _trimmed[partition] = offset;
                moved++;
            }
            return moved;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        foreach (var (consumer, _) in _readers) consumer.Dispose();
        _stop.Dispose();
    }
}
