using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// The partition offsets this store's last acknowledged flushes wrote: what the next flush of those partitions expects
/// to find, so it need not read them first (one round trip less per flush). The flush's WATCH condition still checks
/// them at EXEC: when another owner wrote since, or Redis lost them, the flush races, forgets them here, and its retry
/// reads what is stored.
/// </summary>
internal sealed class WrittenOffsets
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), RedisValue> _offsets = new();

    /// <summary>The offsets last written for each of <paramref name="partitions"/>, if this store wrote all of them.</summary>
    public bool TryExpect(string topic, RedisValue[] partitions, out RedisValue[] expected)
    {
        expected = new RedisValue[partitions.Length];
        for (var i = 0; i < partitions.Length; i++)
        {
            if (!_offsets.TryGetValue((topic, (int)partitions[i]), out expected[i])) return false;
        }
        return true;
    }

    public void Written(FeatureBatch batch)
    {
        // As the server stores them (decimal text), so that the condition compares like with like.
        foreach (var (partition, offset) in batch.Offsets) _offsets[(batch.Topic, partition)] = offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Forget(FeatureBatch batch)
    {
        foreach (var partition in batch.Offsets.Keys) _offsets.TryRemove((batch.Topic, partition), out _);
    }
}
