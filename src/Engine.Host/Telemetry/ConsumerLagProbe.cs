using Confluent.Kafka;
using Engine.Host.Node;

namespace Engine.Host.Telemetry;

/// <summary>One partition's consumer lag: records in Kafka the engine's group has not committed yet.</summary>
public sealed record PartitionLag(string Topic, int Partition, long Lag);

/// <summary>
/// Reads, for each consumer group of the engine, its committed offsets against the partitions' high watermarks, as a
/// Kafka lag exporter would. Its consumers never subscribe: asking for committed offsets does not join the group.
/// A call that succeeds also shows the brokers are reachable.
/// </summary>
public sealed class ConsumerLagProbe : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly IAdminClient _admin;
    private readonly (IConsumer<Ignore, Ignore> Consumer, string Topic)[] _groups;

    /// <param name="groups">Each consumer group of the engine and the topic it reads.</param>
    public ConsumerLagProbe(string bootstrap, IReadOnlyDictionary<string, string> client, IEnumerable<(string Group, string Topic)> groups)
    {
        _admin = new AdminClientBuilder(new AdminClientConfig(client.ToDictionary()) { BootstrapServers = bootstrap }).SetLogHandler((_, _) => { }).Build();
        _groups = [.. groups.Select(g => (new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(KafkaClientProperties.ForConsumer(client))
        {
            BootstrapServers = bootstrap, GroupId = g.Group, EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build(), g.Topic))];
    }

    /// <summary>Blocking (several broker round trips): call it off any hot path.</summary>
    public IReadOnlyList<PartitionLag> Read()
    {
        var metadata = _admin.GetMetadata(Timeout);
        var lags = new List<PartitionLag>();
        foreach (var (consumer, topic) in _groups)
        {
            var partitions = metadata.Topics.FirstOrDefault(t => t.Topic == topic)?.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList() ?? [];
            if (partitions.Count == 0) continue;
            var committed = consumer.Committed(partitions, Timeout);
            // This partition's leader away: its lag is unknown, and left out, while every other is still read (before, one
            // leaderless partition failed the whole reading and froze every lag series).
            var marks = Watermarks.Query(consumer, [.. committed.Select(c => c.TopicPartition)], Timeout);
            for (var i = 0; i < committed.Count; i++)
            {
                if (marks[i] is not { } mark) continue;
                var from = committed[i].Offset.Value >= 0 ? committed[i].Offset.Value : mark.Low.Value;
                lags.Add(new PartitionLag(topic, committed[i].Partition.Value, Math.Max(0, mark.High.Value - from)));
            }
        }
        return lags;
    }

    /// <summary>Whether every group has committed every record of its topic (false when Kafka does not answer). Blocking, as <see cref="Read"/>.</summary>
    public bool AllCommitted()
    {
        try
        {
            return Read() is { Count: > 0 } lags && lags.All(l => l.Lag == 0);
        }
        catch (KafkaException)
        {
            return false; // asked again later
        }
    }

    public void Dispose()
    {
        foreach (var (consumer, _) in _groups) consumer.Dispose();
        _admin.Dispose();
    }
}
