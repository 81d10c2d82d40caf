using Engine.Models.Privacy;

namespace Engine.Actors.Features;

/// <summary>
/// The key layout (docs/features.md): <c>{prefix}u:{pseudonym}</c>, <c>{prefix}c:{campaignId}</c>, <c>{prefix}i:{itemId}</c>
/// are hashes of bucket fields (an item's live in one hash per writing partition, <see cref="ItemSlice"/>, listed in the
/// item's own hash); <c>{prefix}p:{pseudonym}</c> holds a user's consent; <c>{prefix}offsets:{topic}</c> holds the
/// highest flushed offset per partition. User ids never appear in a key: only their keyed pseudonym (docs/privacy.md).
/// </summary>
public sealed class FeatureKeys(string prefix, Pseudonymizer? pseudonyms = null)
{
    private readonly Pseudonymizer _pseudonyms = pseudonyms ?? Pseudonymizer.Development;
    private readonly KeyCache _cache = new();
    private Func<EntityKind, string, int, string>? _derive;

    public string Prefix => prefix;

    public string Entity(EntityKind kind, string id) => _cache.Get(kind, id, -1, _derive ??= Derive);

    /// <summary>The user's consent (a small hash), beside their features.</summary>
    public string Consent(string userId) => $"{prefix}p:{_pseudonyms.Pseudonym(userId)}";

    /// <summary>One partition's slice of an item (<c>{prefix}i:{itemId}:p{partition}</c>): what that partition's owner writes.</summary>
    public string ItemSlice(string itemId, int partition) => _cache.Get(EntityKind.Item, itemId, partition, _derive ??= Derive);

    private string Derive(EntityKind kind, string id, int slice)
    {
        var entity = $"{prefix}{(char)kind}:{(kind == EntityKind.User ? _pseudonyms.Pseudonym(id) : id)}";
        return slice < 0 ? entity : $"{entity}:p{slice}";
    }

    public string PartitionOffsets(string topic) => $"{prefix}offsets:{topic}";
}
