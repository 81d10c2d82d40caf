using System.Collections.Concurrent;
using System.Text.Json;
using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.FaultTests.Harness;

/// <summary>
/// Reads the decision and dead-letter topics from the beginning while the engine writes them (the embedded broker
/// drops a partition's oldest records past ~5 MB), keeping what the checks need. A jump in offsets (records dropped
/// before they were read) is counted in <see cref="Gaps"/>: a check that relies on a complete read must see none.
/// </summary>
public sealed class DecisionLog : IDisposable
{
    private readonly DecisionTopics _topics;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly ConcurrentDictionary<TopicPartition, long> _next = new();
    private long _records, _gaps;
    private long _lastRecordTicks = DateTime.UtcNow.Ticks;

    public DecisionLog(string bootstrap, DecisionTopics topics, int partitions)
    {
        _topics = topics;
        var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = "fault-reader-" + Guid.NewGuid().ToString("N"), EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        string[] read = [topics.Recommendations, topics.BidDecisions, topics.ChurnAlerts, topics.DeadLetters];
        consumer.Assign(read.SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(t, p, Offset.Beginning))));
        _reader = Task.Factory.StartNew(() => Read(consumer), TaskCreationOptions.LongRunning);
    }

    /// <summary>(decision id, caused by) of each recommendation read, repeats included.</summary>
    public ConcurrentQueue<(string Id, string CausedBy)> Recommendations { get; } = new();
    /// <summary>(decision id, request id, model version) of each bid decision read.</summary>
    public ConcurrentQueue<(string Id, string RequestId, string ModelVersion)> Bids { get; } = new();
    public ConcurrentQueue<(string Id, string UserId, string ModelVersion)> ChurnAlerts { get; } = new();
    /// <summary>Each dead letter read, without its payload (oversized ones are 64 KB each): reason, source position, payload size.</summary>
    public ConcurrentQueue<(string Reason, int Partition, long Offset, int PayloadBytes)> DeadLetters { get; } = new();
    public long Records => Interlocked.Read(ref _records);
    public long Gaps => Interlocked.Read(ref _gaps);

    /// <summary>Waits until nothing new arrived for <paramref name="quiet"/> (or <paramref name="timeout"/> passed).</summary>
    public async Task WaitQuietAsync(TimeSpan quiet, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow - new DateTime(Interlocked.Read(ref _lastRecordTicks), DateTimeKind.Utc) < quiet) await Task.Delay(100);
    }

    private void Read(IConsumer<byte[], byte[]> consumer)
    {
        using (consumer)
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result?.Message is null) continue;
                var expected = _next.GetValueOrDefault(result.TopicPartition, 0);
                if (result.Offset.Value != expected) Interlocked.Add(ref _gaps, result.Offset.Value - expected);
                _next[result.TopicPartition] = result.Offset.Value + 1;
                Keep(result.Topic, result.Message.Value);
                Interlocked.Increment(ref _records);
                Interlocked.Exchange(ref _lastRecordTicks, DateTime.UtcNow.Ticks);
            }
        }
    }

    private void Keep(string topic, byte[] value)
    {
        if (topic == _topics.Recommendations)
        {
            var r = JsonSerializer.Deserialize(value, EngineJson.Default.Recommendation)!;
            Recommendations.Enqueue((r.DecisionId, r.CausedBy));
        }
        else if (topic == _topics.BidDecisions)
        {
            var b = JsonSerializer.Deserialize(value, EngineJson.Default.BidDecision)!;
            Bids.Enqueue((b.DecisionId, b.RequestId, b.ModelVersion));
        }
        else if (topic == _topics.ChurnAlerts)
        {
            var c = JsonSerializer.Deserialize(value, EngineJson.Default.ChurnAlert)!;
            ChurnAlerts.Enqueue((c.DecisionId, c.UserId, c.ModelVersion));
        }
        else if (topic == _topics.DeadLetters)
        {
            var d = JsonSerializer.Deserialize(value, EngineJson.Default.DeadLetter)!;
            DeadLetters.Enqueue((d.Reason, d.Partition, d.Offset, d.PayloadBase64.Length / 4 * 3));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _reader.Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
