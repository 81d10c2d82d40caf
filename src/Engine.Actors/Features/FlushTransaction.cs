using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// One flush as one MULTI/EXEC: every entity's absolute field values (HSET), emptied buckets (HDEL) and, on its
/// first write and then about daily, its TTL (PEXPIRE); then the batch's partition offsets, applied only if the stored offsets of those partitions are still
/// what was read and not above the batch's (WATCH, through StackExchange.Redis conditions). Plain commands in a
/// transaction run at pipeline speed on Garnet and redis-server alike, unlike a Lua script of the same size.
/// </summary>
internal static class FlushTransaction
{
    public enum Outcome { Committed, Superseded, Raced }

    public static async Task<Outcome> RunAsync(IDatabase db, FeatureBatch batch, FeatureKeys keys, TimeSpan ttl)
    {
        var offsetsKey = (RedisKey)keys.PartitionOffsets(batch.Topic);
        var partitions = batch.Offsets.Keys.Select(p => (RedisValue)p).ToArray();
        var stored = partitions.Length == 0 ? [] : await db.HashGetAsync(offsetsKey, partitions);
        var transaction = db.CreateTransaction();
        for (var i = 0; i < partitions.Length; i++)
        {
            // Equal is allowed: a retry after a lost reply, or an owner resending what it wrote, rewrites the same values.
            if (stored[i].HasValue && (long)stored[i] > batch.Offsets[(int)partitions[i]]) return Outcome.Superseded;
            transaction.AddCondition(stored[i].HasValue
                ? Condition.HashEqual(offsetsKey, partitions[i], stored[i])
                : Condition.HashNotExists(offsetsKey, partitions[i]));
        }
        foreach (var write in batch.Writes)
        {
            var key = (RedisKey)(write.Slice is { } slice ? keys.ItemSlice(write.Id, slice) : keys.Entity(write.Kind, write.Id));
            if (write.Changes.Set.Count > 0) _ = transaction.HashSetAsync(key, Entries(write.Changes.Set));
            if (write.Changes.Delete.Count > 0) _ = transaction.HashDeleteAsync(key, Fields(write.Changes.Delete));
            if (!write.Changes.RenewTtl) continue;
            _ = transaction.KeyExpireAsync(key, ttl);
            // A slice lists itself in its item's hash when its TTL is renewed (first write, then daily): readers find it there.
            if (write.Slice is not { } listed) continue;
            var item = (RedisKey)keys.Entity(EntityKind.Item, write.Id);
            _ = transaction.HashSetAsync(item, ItemSlices.IndexField(listed), 1);
            _ = transaction.KeyExpireAsync(item, ttl);
        }
        if (partitions.Length > 0)
        {
            _ = transaction.HashSetAsync(offsetsKey, [.. batch.Offsets.Select(o => new HashEntry(o.Key, o.Value))]);
            // Every key expires (docs/privacy.md): once no flush came for as long as an entity lives, no entity it guards is left.
            _ = transaction.KeyExpireAsync(offsetsKey, ttl);
        }
        return await transaction.ExecuteAsync() ? Outcome.Committed : Outcome.Raced;
    }

    // Values go out as the drained UTF-8 bytes (a slice of the batch's arena): no string per value.
    private static HashEntry[] Entries(List<Engine.Models.Features.State.FieldValue> set)
    {
        var entries = new HashEntry[set.Count];
        for (var i = 0; i < entries.Length; i++) entries[i] = new HashEntry(set[i].Field, set[i].Value);
        return entries;
    }

    private static RedisValue[] Fields(List<string> fields)
    {
        var values = new RedisValue[fields.Count];
        for (var i = 0; i < values.Length; i++) values[i] = fields[i];
        return values;
    }
}
