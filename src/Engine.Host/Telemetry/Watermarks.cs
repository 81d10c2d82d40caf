using Confluent.Kafka;

namespace Engine.Host.Telemetry;

/// <summary>Partitions' watermarks, asked of Kafka all at once.</summary>
internal static class Watermarks
{
    /// <summary>
    /// Each partition's watermarks, null where its leader is away. At once: a partition without a leader takes the whole
    /// timeout, and asked one after another they held the caller (a start, the monitor's readings) that long each.
    /// Blocking: call it off any hot path.
    /// </summary>
    public static WatermarkOffsets?[] Query(IConsumer<Ignore, Ignore> consumer, IReadOnlyList<TopicPartition> partitions, TimeSpan timeout)
    {
        var marks = new WatermarkOffsets?[partitions.Count];
        Parallel.For(0, partitions.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            try
            {
                marks[i] = consumer.QueryWatermarkOffsets(partitions[i], timeout);
            }
            catch (KafkaException)
            {
                // No leader for now: nothing to say of this partition, while every other is still read.
            }
        });
        return marks;
    }
}
