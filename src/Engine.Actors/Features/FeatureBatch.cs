using Engine.Models.Features.State;

namespace Engine.Actors.Features;

/// <summary>Which kind of entity a key holds; the letter is part of the key (<c>{prefix}u:{id}</c>).</summary>
public enum EntityKind
{
    User = 'u',
    Campaign = 'c',
    Item = 'i',
}

/// <summary>The changes of one entity, in absolute values; for an item, of its <paramref name="Slice"/> (the writing partition's fields).</summary>
public sealed record EntityWrite(EntityKind Kind, string Id, EntityChanges Changes, int? Slice = null)
{
    /// <summary>The Redis key, when the writer already knows it (the write-behind keeps each state's: a user's is an HMAC of its id); else derived from the id.</summary>
    public string? Key { get; init; }
}

/// <summary>
/// One flush: the dirty entities, and the highest offset per partition of <paramref name="Topic"/> whose events
/// these writes (together with earlier acknowledged ones) reflect. Commit those offsets only once acknowledged.
/// </summary>
public sealed record FeatureBatch(string Topic, IReadOnlyDictionary<int, long> Offsets, IReadOnlyList<EntityWrite> Writes)
{
    /// <summary>Where this batch's own drained values live (the write-behind reuses it once the batch is acknowledged).</summary>
    internal ValueArena? Values { get; init; }

    /// <summary>Sorted sets written in the same transaction (the churn due-list): durable with these writes or not at all.</summary>
    public IReadOnlyList<SortedSetWrite> SortedSets { get; init; } = [];

    /// <summary>
    /// This batch, among every flush: written beside its partitions' offsets, so a retry whose earlier attempt landed
    /// (its reply lost or late) finds it there and is not sent again. Random, so two owners' batches never share one.
    /// </summary>
    public long FlushId { get; } = Random.Shared.NextInt64(1, long.MaxValue);

    public bool IsEmpty => Writes.Count == 0 && Offsets.Count == 0 && SortedSets.Count == 0;
}

/// <summary>
/// Members of the sorted set <paramref name="Key"/> (re)scored (the last write wins), every member scored at or below
/// <paramref name="DropAtOrBelow"/> removed, and the key's TTL renewed.
/// </summary>
public sealed record SortedSetWrite(string Key, IReadOnlyList<KeyValuePair<string, long>> Entries, long DropAtOrBelow, TimeSpan Ttl);

/// <summary>
/// How a flush ended. Not acknowledged: Redis was unreachable through every attempt; the caller keeps the changes,
/// sends them again with its next batch (absolute values: rewriting is harmless) and does not commit the offsets.
/// Superseded: Redis already holds a higher offset for one of the batch's partitions, so another owner has taken
/// over; nothing was written, and this owner's in-memory state is stale. Given up: the caller said to stop retrying
/// (its partition was revoked: the next owner replays these events), so what was written is unknown and nothing more is.
/// </summary>
public sealed record FlushResult(bool Acknowledged, bool Superseded, int Attempts, string? Error, bool GivenUp = false)
{
    public static FlushResult Empty { get; } = new(true, false, 0, null);
}
