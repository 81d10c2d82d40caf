using System.Numerics;

namespace Engine.Models.Caching;

/// <summary>
/// A direct-mapped cache of values that are costly to make and always the same for a key (formatted field names, keys
/// derived through an HMAC, sealed ids): a slot holds the latest entry hashed there, so memory stays fixed and a
/// collision only means making the value again. Safe to share between threads without locks: each slot is one immutable
/// entry, replaced whole (a lost race makes the value twice).
/// </summary>
public sealed class LossyCache<TKey, TValue>(int slots) where TKey : IEquatable<TKey>
{
    private readonly Entry?[] _table = new Entry?[(int)BitOperations.RoundUpToPowerOf2((uint)slots)];

    /// <summary>The value cached for <paramref name="key"/>, or <paramref name="create"/>'s (then cached).</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        ref var slot = ref _table[key.GetHashCode() & (_table.Length - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is not null && entry.Key.Equals(key)) return entry.Value;
        var value = create(key);
        Volatile.Write(ref slot, new Entry(key, value));
        return value;
    }

    /// <summary>Drops <paramref name="key"/>'s entry if its slot holds it: an erased user's id must not stay in memory beside its pseudonym.</summary>
    public void Remove(TKey key)
    {
        ref var slot = ref _table[key.GetHashCode() & (_table.Length - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is not null && entry.Key.Equals(key)) Interlocked.CompareExchange(ref slot, null, entry);
    }

    /// <summary>Whether an entry for <paramref name="key"/> is held.</summary>
    public bool Contains(TKey key) => Volatile.Read(ref _table[key.GetHashCode() & (_table.Length - 1)]) is { } entry && entry.Key.Equals(key);

    private sealed record Entry(TKey Key, TValue Value);
}
