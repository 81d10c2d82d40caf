using Engine.Models.Caching;
using Engine.Models.Privacy;

namespace Engine.Actors.Features;

/// <summary>
/// The key layout (docs/features.md): <c>{prefix}u:{pseudonym}</c>, <c>{prefix}c:{campaignId}</c>, <c>{prefix}i:{itemId}</c>
/// are hashes of bucket fields (an item's live in one hash per writing partition, <see cref="ItemSlice"/>, listed in the
/// item's own hash; an item id that could read as a slice's is escaped, <see cref="ItemKeyId"/>); <c>{prefix}p:{pseudonym}</c> holds a user's consent; <c>{prefix}offsets:{topic}:{partition}</c> holds
/// the partition's highest flushed offset, and <c>...:flush</c> beside it the flush that wrote it. User ids never appear in a key: only their keyed pseudonym (docs/privacy.md).
/// </summary>
public sealed class FeatureKeys(string prefix, Pseudonymizer? pseudonyms = null)
{
    private readonly Pseudonymizer _pseudonyms = pseudonyms ?? Pseudonymizer.Development;
    // A flush names every changed user (an HMAC of the id) and item slice (two strings) again, batch after batch.
    private readonly LossyCache<(EntityKind Kind, string Id, int Slice), string> _keys = new(1 << 15);
    private Func<(EntityKind Kind, string Id, int Slice), string>? _derive;

    public string Prefix => prefix;

    public string Entity(EntityKind kind, string id) => _keys.GetOrAdd((kind, id, -1), _derive ??= Derive);

    /// <summary>Drops the entity's key from memory (an erased user's id beside its pseudonym).</summary>
    public void Forget(EntityKind kind, string id) => _keys.Remove((kind, id, -1));

    internal bool Remembers(EntityKind kind, string id) => _keys.Contains((kind, id, -1));

    /// <summary>The user's consent (a small hash), beside their features.</summary>
    public string Consent(string userId) => $"{prefix}p:{_pseudonyms.Pseudonym(userId)}";

    /// <summary>One partition's slice of an item (<c>{prefix}i:{itemId}:p{partition}</c>): what that partition's owner writes.</summary>
    public string ItemSlice(string itemId, int partition) => _keys.GetOrAdd((EntityKind.Item, itemId, partition), _derive ??= Derive);

    /// <param name="key">The entity, and its item slice's partition or -1 for the entity's own key.</param>
    private string Derive((EntityKind Kind, string Id, int Slice) key)
    {
        var (kind, id, slice) = key;
        var entity = $"{prefix}{(char)kind}:{kind switch { EntityKind.User => _pseudonyms.Pseudonym(id), EntityKind.Item => ItemKeyId(id), _ => id }}";
        return slice < 0 ? entity : $"{entity}:p{slice}";
    }

    /// <summary>
    /// An item id as its keys spell it: as it is, unless it could be read as another item's slice (it ends in
    /// <c>:p{digits}</c>, so <c>i:sku:p3</c> would be item <c>sku:p3</c> and slice 3 of item <c>sku</c> at once) or starts
    /// with the escape mark: then <c>~</c> and its UTF-8 in base64url, which has no <c>:</c>. Item ids come from the
    /// clickstream, so without this one item's events could overwrite another's features.
    /// </summary>
    private static string ItemKeyId(string id)
    {
        if (!id.StartsWith('~') && !EndsLikeSlice(id)) return id;
        return "~" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(id)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static bool EndsLikeSlice(string id)
    {
        var digits = id.Length;
        while (digits > 0 && char.IsAsciiDigit(id[digits - 1])) digits--;
        return digits < id.Length && digits >= 2 && id[digits - 1] == 'p' && id[digits - 2] == ':';
    }

    /// <summary>
    /// The highest flushed offset of one partition of <paramref name="topic"/>: a key per partition, so a flush WATCHes
    /// only its own partitions' and owners of other partitions (other nodes) never abort it.
    /// </summary>
    public string PartitionOffset(string topic, int partition) => $"{prefix}offsets:{topic}:{partition.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Which flush (<see cref="FeatureBatch.FlushId"/>) last wrote the partition's offset: a retry finds there whether its earlier attempt landed.</summary>
    public string PartitionFlush(string topic, int partition) => PartitionOffset(topic, partition) + ":flush";
}
