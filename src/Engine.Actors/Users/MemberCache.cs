namespace Engine.Actors.Users;

/// <summary>
/// Due-list members sealed before, by user id: every flush schedules each of its users again, and sealing (an HMAC and
/// an AES-GCM key set up per call) costs far more than a lookup. Sealing is deterministic, so a cached member is the one
/// sealing would give. A lossy, fixed-size table (a slot holds the latest id hashed there), safe across threads: each
/// slot is one immutable entry, replaced whole.
/// </summary>
internal sealed class MemberCache(Func<string, string> seal)
{
    private const int Slots = 1 << 15;
    private readonly Entry?[] _table = new Entry?[Slots];

    public string Get(string userId)
    {
        ref var slot = ref _table[string.GetHashCode(userId, StringComparison.Ordinal) & (Slots - 1)];
        var entry = Volatile.Read(ref slot);
        if (entry is not null && string.Equals(entry.UserId, userId, StringComparison.Ordinal)) return entry.Member;
        var member = seal(userId);
        Volatile.Write(ref slot, new Entry(userId, member));
        return member;
    }

    private sealed record Entry(string UserId, string Member);
}
