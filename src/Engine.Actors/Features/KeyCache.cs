namespace Engine.Actors.Features;

/// <summary>
/// Entity keys derived before, by kind, id and slice: a flush names every changed user (an HMAC of the id) and item slice
/// (two strings) again, batch after batch. A lossy, fixed-size table (a slot holds the latest key hashed there), safe
/// across threads: each slot is one immutable entry, replaced whole.
/// </summary>
internal sealed class KeyCache
{
    private const int Slots = 1 << 15;
    private readonly Entry?[] _table = new Entry?[Slots];

    /// <param name="slice">The item slice's partition, or -1 for the entity's own key.</param>
    public string Get(EntityKind kind, string id, int slice, Func<EntityKind, string, int, string> derive)
    {
        ref var slot = ref _table[HashCode.Combine(kind, string.GetHashCode(id, StringComparison.Ordinal), slice) & (Slots - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is not null && entry.Kind == kind && entry.Slice == slice && string.Equals(entry.Id, id, StringComparison.Ordinal)) return entry.Key;
        var key = derive(kind, id, slice);
        Volatile.Write(ref slot, new Entry(kind, id, slice, key));
        return key;
    }

    private sealed record Entry(EntityKind Kind, string Id, int Slice, string Key);
}
