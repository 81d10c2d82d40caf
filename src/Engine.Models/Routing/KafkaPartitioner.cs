using System.Buffers.Binary;
using System.Text;

namespace Engine.Models.Routing;

/// <summary>
/// Kafka's default key partitioner (murmur2, as in the Java client and librdkafka's <c>murmur2_random</c>).
/// Every producer of keyed input uses it, so the engine can compute any entity's partition, and so its
/// shard, from the entity id alone: the same idea as Alpakka Kafka's <c>KafkaClusterSharding</c>.
/// </summary>
public static class KafkaPartitioner
{
    public static int Partition(string key, int partitions)
    {
        Span<byte> buffer = key.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var length = Encoding.UTF8.GetBytes(key, buffer);
        return (Murmur2(buffer[..length]) & 0x7fffffff) % partitions;
    }

    /// <summary>Kafka's murmur2 (seed 0x9747b28c), byte for byte as <c>org.apache.kafka.common.utils.Utils.murmur2</c>.</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        var length = data.Length;
        var h = 0x9747b28c ^ (uint)length;
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        switch (length - i)
        {
            case 3:
                h ^= (uint)data[i + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[i + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[i];
                h *= m;
                break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
