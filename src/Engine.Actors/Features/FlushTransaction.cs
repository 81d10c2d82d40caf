using Engine.Actors.Features.Resp;
using Engine.Models.Features.State;
using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// One flush as one MULTI/EXEC: every entity's absolute field values (HSET), emptied buckets (HDEL) and, on its
/// first write and then about daily, its TTL (PEXPIRE); then the batch's partition offsets (a key each). Guarded by
/// those offsets: WATCH on their keys and a read of them go first (one round trip); a stored offset above the batch's
/// means another owner took over (superseded: nothing is written), and EXEC applies nothing if one of them changed after
/// the WATCH (raced: the store reads again). Plain commands in a transaction run at pipeline speed on Garnet and redis-server
/// alike, unlike a Lua script of the same size (docs/features.md).
/// </summary>
internal static class FlushTransaction
{
    public enum Outcome { Committed, Superseded, Raced }

    public static Task<Outcome> RunAsync(FlushClient client, FeatureBatch batch, FeatureKeys keys, TimeSpan ttl) =>
        client.RunAsync(async (connection, commands, cancellationToken) =>
        {
            if (batch.Offsets.Count > 0 && await SupersededAsync(connection, commands, keys, batch.Topic, batch.Offsets, cancellationToken).ConfigureAwait(false))
                return Outcome.Superseded;

            commands.Clear();
            commands.Command(1).Bulk("MULTI"u8);
            var ttlMs = (long)ttl.TotalMilliseconds;
            foreach (var write in batch.Writes)
            {
                var key = write.Key ?? (write.Slice is { } slice ? keys.ItemSlice(write.Id, slice) : keys.Entity(write.Kind, write.Id));
                if (write.Changes.Set.Count > 0) HashSet(commands, key, write.Changes.Set);
                if (write.Changes.Delete.Count > 0)
                {
                    commands.Command(2 + write.Changes.Delete.Count).Bulk("HDEL"u8).Bulk(key);
                    foreach (var field in write.Changes.Delete) commands.Bulk(field);
                }
                if (!write.Changes.RenewTtl) continue;
                commands.Command(3).Bulk("PEXPIRE"u8).Bulk(key).Bulk(ttlMs);
                // A slice lists itself in its item's hash when its TTL is renewed (first write, then daily): readers find it there.
                if (write.Slice is not { } listed) continue;
                var item = keys.Entity(EntityKind.Item, write.Id);
                commands.Command(4).Bulk("HSET"u8).Bulk(item).Bulk(ItemSlices.IndexField(listed)).Bulk("1"u8);
                commands.Command(3).Bulk("PEXPIRE"u8).Bulk(item).Bulk(ttlMs);
            }
            // Every key expires (docs/privacy.md): once no flush came for as long as an entity lives, no entity it guards is left.
            foreach (var (partition, offset) in batch.Offsets)
                commands.Command(5).Bulk("SET"u8).Bulk(keys.PartitionOffset(batch.Topic, partition)).Bulk(offset).Bulk("PX"u8).Bulk(ttlMs);
            commands.Command(1).Bulk("EXEC"u8);
            await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
            // MULTI's OK and each command's QUEUED, then EXEC's reply.
            for (var i = 0; i < commands.Commands - 1; i++) await connection.Reader.StatusAsync(cancellationToken).ConfigureAwait(false);
            var (committed, error) = await connection.Reader.ExecAsync(cancellationToken).ConfigureAwait(false);
            if (error is not null) throw RespErrors.Server($"a command of a feature flush failed in Redis: {error}");
            return committed ? Outcome.Committed : Outcome.Raced;
        });

    /// <summary>WATCHes the batch's partitions' offsets and reads them: true (and the WATCH released) when Redis holds a later offset for any of them.</summary>
    private static async Task<bool> SupersededAsync(RespConnection connection, RespWriter commands, FeatureKeys keys, string topic,
        IReadOnlyDictionary<int, long> offsets, CancellationToken cancellationToken)
    {
        commands.Clear();
        commands.Command(1 + offsets.Count).Bulk("WATCH"u8);
        foreach (var partition in offsets.Keys) commands.Bulk(keys.PartitionOffset(topic, partition));
        commands.Command(1 + offsets.Count).Bulk("MGET"u8);
        foreach (var partition in offsets.Keys) commands.Bulk(keys.PartitionOffset(topic, partition));
        await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
        await connection.Reader.StatusAsync(cancellationToken).ConfigureAwait(false);
        var stored = await connection.Reader.IntegersAsync(offsets.Count, cancellationToken).ConfigureAwait(false);
        var i = 0;
        var superseded = false;
        // Equal is allowed: a retry after a lost reply, or an owner resending what it wrote, rewrites the same values.
        foreach (var offset in offsets.Values) superseded |= stored[i++] > offset;
        if (!superseded) return false;
        commands.Clear();
        commands.Command(1).Bulk("UNWATCH"u8);
        await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
        await connection.Reader.StatusAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static void HashSet(RespWriter commands, string key, List<FieldValue> set)
    {
        commands.Command(2 + 2 * set.Count).Bulk("HSET"u8).Bulk(key);
        foreach (var value in set) commands.Bulk(value.Field).Bulk(value.Value.Span);
    }
}
