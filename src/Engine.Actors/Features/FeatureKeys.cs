namespace Engine.Actors.Features;

/// <summary>
/// The key layout (docs/features.md): <c>{prefix}u:{userId}</c>, <c>{prefix}c:{campaignId}</c>, <c>{prefix}i:{itemId}</c>
/// are hashes of bucket fields (an item's live in one hash per writing partition, <see cref="ItemSlice"/>, listed in the
/// item's own hash); <c>{prefix}offsets:{topic}</c> holds the highest flushed offset per partition.
/// </summary>
public sealed class FeatureKeys(string prefix)
{
    public string Prefix => prefix;

    public string Entity(EntityKind kind, string id) => $"{prefix}{(char)kind}:{id}";

    /// <summary>One partition's slice of an item (<c>{prefix}i:{itemId}:p{partition}</c>): what that partition's owner writes.</summary>
    public string ItemSlice(string itemId, int partition) => $"{Entity(EntityKind.Item, itemId)}:p{partition}";

    public string PartitionOffsets(string topic) => $"{prefix}offsets:{topic}";
}
