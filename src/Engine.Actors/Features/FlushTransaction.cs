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

    // The commands' own replies are not read (EXEC's says whether the whole batch applied): no task per command.
    private const CommandFlags Queued = CommandFlags.FireAndForget;

    public static async Task<Outcome> RunAsync(FlushConnection connection, FeatureBatch batch, FeatureKeys keys, TimeSpan ttl, HashEntryPool pool)
    {
        var db = connection.Database;
        var offsetsKey = (RedisKey)keys.PartitionOffsets(batch.Topic);
        var partitions = batch.Offsets.Keys.Select(p => (RedisValue)p).ToArray();
        var stored = partitions.Length == 0 ? [] : await connection.Send(() => db.HashGetAsync(offsetsKey, partitions));
        var transaction = db.CreateTransaction();
        for (var i = 0; i < partitions.Length; i++)
        {
            // Equal is allowed: a retry after a lost reply, or an owner resending what it wrote, rewrites the same values.
            if (stored[i].HasValue && (long)stored[i] > batch.Offsets[(int)partitions[i]]) return Outcome.Superseded;
            transaction.AddCondition(stored[i].HasValue
                ? Condition.HashEqual(offsetsKey, partitions[i], stored[i])
                : Condition.HashNotExists(offsetsKey, partitions[i]));
        }
        var rented = new List<HashEntry[]>(batch.Writes.Count);
        foreach (var write in batch.Writes)
        {
            var key = (RedisKey)(write.Key ?? (write.Slice is { } slice ? keys.ItemSlice(write.Id, slice) : keys.Entity(write.Kind, write.Id)));
            if (write.Changes.Set.Count > 0) _ = transaction.HashSetAsync(key, Entries(write.Changes.Set, pool, rented), Queued);
            if (write.Changes.Delete.Count > 0) _ = transaction.HashDeleteAsync(key, Fields(write.Changes.Delete), Queued);
            if (!write.Changes.RenewTtl) continue;
            _ = transaction.KeyExpireAsync(key, ttl, flags: Queued);
            // A slice lists itself in its item's hash when its TTL is renewed (first write, then daily): readers find it there.
            if (write.Slice is not { } listed) continue;
            var item = (RedisKey)keys.Entity(EntityKind.Item, write.Id);
            _ = transaction.HashSetAsync(item, ItemSlices.IndexField(listed), 1, flags: Queued);
            _ = transaction.KeyExpireAsync(item, ttl, flags: Queued);
        }
        if (partitions.Length > 0)
        {
            _ = transaction.HashSetAsync(offsetsKey, [.. batch.Offsets.Select(o => new HashEntry(o.Key, o.Value))], Queued);
            // Every key expires (docs/privacy.md): once no flush came for as long as an entity lives, no entity it guards is left.
            _ = transaction.KeyExpireAsync(offsetsKey, ttl, flags: Queued);
        }
        var committed = await connection.Send(() => transaction.ExecuteAsync());
        // Only a completed transaction is done with its arrays (after a timeout its commands may still be queued).
        pool.Return(rented);
        return committed ? Outcome.Committed : Outcome.Raced;
    }

    // Values go out as the drained UTF-8 bytes (a slice of the batch's arena): no string per value.
    private static HashEntry[] Entries(List<Engine.Models.Features.State.FieldValue> set, HashEntryPool pool, List<HashEntry[]> rented)
    {
        var entries = pool.Rent(set.Count);
        rented.Add(entries);
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
