using System.Globalization;
using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// The one Lua script a flush runs: all entities of a batch in one atomic step. For each entity it first checks
/// the partition offsets the entity already holds: if any is newer than the write's, the write comes from a stale
/// owner (an actor that moved on) and is skipped; otherwise the absolute field values are set, emptied buckets
/// deleted and the key's TTL renewed. Last, the batch's partition offsets are raised (never lowered).
/// Uses only HGET/HSET/HDEL/PEXPIRE, which Garnet 2.2 and Redis 7 both run in Lua.
/// </summary>
public static class FlushScript
{
    // KEYS[1] = partition offsets hash; KEYS[2..] = entity hashes.
    // ARGV: ttl_ms, n_partitions, (partition, offset)*, then per entity: n_guards, (field, offset)*, n_set, (field, value)*, n_del, field*
    public const string Lua = """
        local i = 1
        local ttl = ARGV[i]; i = i + 1
        local np = tonumber(ARGV[i]); i = i + 1
        local partitionsAt = i
        i = i + 2 * np
        local stale = {}
        local function chunked(cmd, key, first, count, width)
          local done = 0
          while done < count do
            local n = math.min(count - done, 100)
            local args = {}
            for a = 0, n * width - 1 do args[a + 1] = ARGV[first + done * width + a] end
            redis.call(cmd, key, unpack(args))
            done = done + n
          end
        end
        for k = 2, #KEYS do
          local key = KEYS[k]
          local ok = true
          local ng = tonumber(ARGV[i]); i = i + 1
          for g = 1, ng do
            local held = redis.call('HGET', key, ARGV[i])
            if held and tonumber(held) > tonumber(ARGV[i + 1]) then ok = false end
            i = i + 2
          end
          local ns = tonumber(ARGV[i]); i = i + 1
          if ok and ns > 0 then chunked('HSET', key, i, ns, 2) end
          i = i + 2 * ns
          local nd = tonumber(ARGV[i]); i = i + 1
          if ok and nd > 0 then chunked('HDEL', key, i, nd, 1) end
          i = i + nd
          if ok then redis.call('PEXPIRE', key, ttl) else stale[#stale + 1] = k - 1 end
        end
        for p = 0, np - 1 do
          local field = ARGV[partitionsAt + 2 * p]
          local offset = ARGV[partitionsAt + 2 * p + 1]
          local held = redis.call('HGET', KEYS[1], field)
          if not held or tonumber(held) < tonumber(offset) then redis.call('HSET', KEYS[1], field, offset) end
        end
        return stale
        """;

    public static (RedisKey[] Keys, RedisValue[] Args) Arguments(FeatureBatch batch, FeatureKeys keys, TimeSpan ttl)
    {
        var redisKeys = new RedisKey[batch.Writes.Count + 1];
        redisKeys[0] = keys.PartitionOffsets(batch.Topic);
        var args = new List<RedisValue>(2 + batch.Offsets.Count * 2 + batch.Writes.Sum(w => 3 + w.Changes.Offsets.Count * 2 + w.Changes.Set.Count * 2 + w.Changes.Delete.Count))
        {
            (long)ttl.TotalMilliseconds,
            batch.Offsets.Count,
        };
        foreach (var (partition, offset) in batch.Offsets)
        {
            args.Add(partition);
            args.Add(offset);
        }
        for (var w = 0; w < batch.Writes.Count; w++)
        {
            var write = batch.Writes[w];
            redisKeys[w + 1] = keys.Entity(write.Kind, write.Id);
            args.Add(write.Changes.Offsets.Count);
            foreach (var (partition, offset) in write.Changes.Offsets)
            {
                args.Add("o:" + partition.ToString(CultureInfo.InvariantCulture));
                args.Add(offset);
            }
            args.Add(write.Changes.Set.Count);
            foreach (var (field, value) in write.Changes.Set)
            {
                args.Add(field);
                args.Add(value);
            }
            args.Add(write.Changes.Delete.Count);
            foreach (var field in write.Changes.Delete) args.Add(field);
        }
        return (redisKeys, [.. args]);
    }
}
