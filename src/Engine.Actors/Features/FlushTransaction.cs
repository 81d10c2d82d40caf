using Engine.Actors.Features.Resp;
using Engine.Models.Features.State;
using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// One flush as one MULTI/EXEC: every entity's absolute field values (HSET; a whole state after a DEL of its key), emptied buckets (HDEL) and, on its
/// first write and then about daily, its TTL (PEXPIRE); the batch's sorted sets (the churn due-list: scheduled with the
/// features that made the users due, so a crash between the two cannot leave a user unscheduled); then the batch's
/// partition offsets (a key each). Guarded by
/// those offsets: WATCH on their keys and a read of them go first (one round trip); a stored offset above the batch's
/// means another owner took over (superseded: nothing is written), and EXEC applies nothing if one of them changed after
/// the WATCH (raced: the store reads again). Each partition's offset is written with the batch's <see cref="FeatureBatch.FlushId"/>
/// beside it, so an attempt that finds both already there knows an earlier attempt of this very batch landed (its reply lost
/// or later than the timeout) and sends nothing again (landed): a batch whose exchange outlasts the timeout was otherwise
/// re-sent whole, and timed out, for ever. With replicas asked for, a flush counts only once they hold it (WAIT after
/// EXEC): a failover to a replica that lagged could otherwise lose flushes whose offsets Kafka already has. Plain commands in a transaction run at pipeline speed on Garnet and redis-server
/// alike, unlike a Lua script of the same size (docs/features.md).
/// </summary>
internal static class FlushTransaction
{
    public enum Outcome { Committed, Landed, Superseded, Raced, GivenUp }

    /// <param name="campaignTtl">A campaign's key lives longer than a user's: its lifetime spend (what exhaustion is checked
    /// against) and its pacing memory must outlast any silence within its flight.</param>
    /// <param name="giveUp">Asked once the exchange has the connection (flushes queue for it) and again before MULTI: true
    /// sends nothing more (<see cref="Outcome.GivenUp"/>).</param>
    /// <param name="replicas">How many replicas must hold the flush (WAIT, up to <paramref name="replicaWait"/>) before it
    /// counts as committed; fewer is a NOREPLICAS refusal, retried like Redis's own. 0: the primary's memory suffices.</param>
    public static Task<Outcome> RunAsync(FlushClient client, FeatureBatch batch, FeatureKeys keys, TimeSpan ttl, TimeSpan campaignTtl, Func<bool>? giveUp = null,
        int replicas = 0, TimeSpan replicaWait = default) =>
        client.RunAsync(async (connection, commands, cancellationToken) =>
        {
            if (giveUp?.Invoke() == true) return Outcome.GivenUp;
            var offsets = batch.Offsets.Select(o => (Key: keys.PartitionOffset(batch.Topic, o.Key), Flush: keys.PartitionFlush(batch.Topic, o.Key), Offset: o.Value)).ToArray();
            if (offsets.Length > 0)
            {
                var stored = await StoredAsync(connection, commands, offsets, batch.FlushId, cancellationToken).ConfigureAwait(false);
                if (stored == Outcome.Landed)
                {
                    // A write (the offset's TTL renewed), so that only the primary can answer it: a demoted primary still holding the
                    // flush until its resync wipes it answers reads, but READONLY here, and the retry goes on to the new primary.
                    // And with replicas asked for: the earlier connection's write is not covered by a WAIT on this one, but this
                    // write follows it in the replication stream, so replicas that acknowledge it hold the flush too.
                    commands.Clear();
                    commands.Command(3).Bulk("PEXPIRE"u8).Bulk(offsets[0].Key).Bulk((long)ttl.TotalMilliseconds);
                    await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
                    await connection.Reader.IntegerAsync(cancellationToken).ConfigureAwait(false);
                    if (replicas > 0) await ReplicatedAsync(connection, commands, replicas, replicaWait, cancellationToken).ConfigureAwait(false);
                }
                if (stored != Outcome.Committed) return stored;
            }
            if (giveUp?.Invoke() == true)
            {
                await UnwatchAsync(connection, commands, cancellationToken).ConfigureAwait(false);
                return Outcome.GivenUp;
            }

            commands.Clear();
            commands.Command(1).Bulk("MULTI"u8);
            var (ttlMs, campaignTtlMs) = ((long)ttl.TotalMilliseconds, (long)campaignTtl.TotalMilliseconds);
            foreach (var write in batch.Writes)
            {
                var key = write.Key ?? (write.Slice is { } slice ? keys.ItemSlice(write.Id, slice) : keys.Entity(write.Kind, write.Id));
                // The whole state: what the key held goes, including fields an earlier, lost write would have deleted.
                if (write.Changes.Replace) commands.Command(2).Bulk("DEL"u8).Bulk(key);
                if (write.Changes.Set.Count > 0) HashSet(commands, key, write.Changes.Set);
                if (write.Changes.Delete.Count > 0)
                {
                    commands.Command(2 + write.Changes.Delete.Count).Bulk("HDEL"u8).Bulk(key);
                    foreach (var field in write.Changes.Delete) commands.Bulk(field);
                }
                if (!write.Changes.RenewTtl) continue;
                commands.Command(3).Bulk("PEXPIRE"u8).Bulk(key).Bulk(write.Kind == EntityKind.Campaign ? campaignTtlMs : ttlMs);
                // A slice lists itself in its item's hash when its TTL is renewed (first write, then daily): readers find it there.
                if (write.Slice is not { } listed) continue;
                var item = keys.Entity(EntityKind.Item, write.Id);
                commands.Command(4).Bulk("HSET"u8).Bulk(item).Bulk(ItemSlices.IndexField(listed)).Bulk("1"u8);
                commands.Command(3).Bulk("PEXPIRE"u8).Bulk(item).Bulk(ttlMs);
            }
            foreach (var set in batch.SortedSets)
            {
                if (set.Entries.Count > 0)
                {
                    commands.Command(2 + 2 * set.Entries.Count).Bulk("ZADD"u8).Bulk(set.Key);
                    foreach (var (member, score) in set.Entries) commands.Bulk(score).Bulk(member);
                }
                commands.Command(4).Bulk("ZREMRANGEBYSCORE"u8).Bulk(set.Key).Bulk("-inf"u8).Bulk(set.DropAtOrBelow);
                commands.Command(3).Bulk("PEXPIRE"u8).Bulk(set.Key).Bulk((long)set.Ttl.TotalMilliseconds);
            }
            // Every key expires (docs/privacy.md): once no flush came for as long as an entity lives, no entity it guards is left.
            foreach (var (key, flush, offset) in offsets)
            {
                commands.Command(5).Bulk("SET"u8).Bulk(key).Bulk(offset).Bulk("PX"u8).Bulk(ttlMs);
                commands.Command(5).Bulk("SET"u8).Bulk(flush).Bulk(batch.FlushId).Bulk("PX"u8).Bulk(ttlMs);
            }
            commands.Command(1).Bulk("EXEC"u8);
            await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
            // MULTI's OK and each command's QUEUED, then EXEC's reply.
            for (var i = 0; i < commands.Commands - 1; i++) await connection.Reader.StatusAsync(cancellationToken).ConfigureAwait(false);
            var (committed, error) = await connection.Reader.ExecAsync(cancellationToken).ConfigureAwait(false);
            if (error is not null) throw RespErrors.Server($"a command of a feature flush failed in Redis: {error}");
            if (committed && replicas > 0) await ReplicatedAsync(connection, commands, replicas, replicaWait, cancellationToken).ConfigureAwait(false);
            return committed ? Outcome.Committed : Outcome.Raced;
        });

    /// <summary>
    /// WAITs until <paramref name="replicas"/> replicas hold every write of this connection so far; fewer within
    /// <paramref name="wait"/> throws a NOREPLICAS refusal (retried; the retry finds the flush landed and waits again).
    /// </summary>
    internal static async Task ReplicatedAsync(RespConnection connection, RespWriter commands, int replicas, TimeSpan wait, CancellationToken cancellationToken)
    {
        commands.Clear();
        commands.Command(3).Bulk("WAIT"u8).Bulk(replicas).Bulk(Math.Max(1, (long)wait.TotalMilliseconds));
        await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
        var acknowledged = await connection.Reader.IntegerAsync(cancellationToken).ConfigureAwait(false);
        if (acknowledged < replicas)
            throw RespErrors.Server($"NOREPLICAS a feature flush reached {acknowledged} of the {replicas} replicas Redis:AcknowledgingReplicas asks for within {wait.TotalMilliseconds:N0} ms");
    }

    /// <summary>
    /// WATCHes the batch's partitions' offsets and reads them with the flush that wrote each: <see cref="Outcome.Superseded"/>
    /// when Redis holds a later offset for any of them, <see cref="Outcome.Landed"/> when every one holds this batch's offset
    /// written by this batch (both with the WATCH released), else <see cref="Outcome.Committed"/>: go on.
    /// </summary>
    private static async Task<Outcome> StoredAsync(RespConnection connection, RespWriter commands, (string Key, string Flush, long Offset)[] offsets,
        long flushId, CancellationToken cancellationToken)
    {
        commands.Clear();
        commands.Command(1 + offsets.Length).Bulk("WATCH"u8);
        foreach (var (key, _, _) in offsets) commands.Bulk(key);
        commands.Command(1 + 2 * offsets.Length).Bulk("MGET"u8);
        foreach (var (key, _, _) in offsets) commands.Bulk(key);
        foreach (var (_, flush, _) in offsets) commands.Bulk(flush);
        await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
        await connection.Reader.StatusAsync(cancellationToken).ConfigureAwait(false);
        var stored = await connection.Reader.IntegersAsync(2 * offsets.Length, cancellationToken).ConfigureAwait(false);
        bool superseded = false, landed = true;
        for (var i = 0; i < offsets.Length; i++)
        {
            // Equal is allowed: an owner resending what it wrote (a new batch after a failed one) rewrites the same values.
            superseded |= stored[i] > offsets[i].Offset;
            landed &= stored[i] == offsets[i].Offset && stored[offsets.Length + i] == flushId;
        }
        if (!superseded && !landed) return Outcome.Committed;
        await UnwatchAsync(connection, commands, cancellationToken).ConfigureAwait(false);
        return superseded ? Outcome.Superseded : Outcome.Landed;
    }

    private static async Task UnwatchAsync(RespConnection connection, RespWriter commands, CancellationToken cancellationToken)
    {
        commands.Clear();
        commands.Command(1).Bulk("UNWATCH"u8);
        await connection.SendAsync(commands, cancellationToken).ConfigureAwait(false);
        await connection.Reader.StatusAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void HashSet(RespWriter commands, string key, List<FieldValue> set)
    {
        commands.Command(2 + 2 * set.Count).Bulk("HSET"u8).Bulk(key);
        foreach (var value in set) commands.Bulk(value.Field).Bulk(value.Value.Span);
    }
}
