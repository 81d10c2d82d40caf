namespace Engine.Actors.Features;

/// <summary>
/// The key layout (docs/features.md): <c>{prefix}u:{userId}</c>, <c>{prefix}c:{campaignId}</c>, <c>{prefix}i:{itemId}</c>
/// are hashes of bucket fields; <c>{prefix}offsets:{topic}</c> holds the highest flushed offset per partition.
/// </summary>
public sealed class FeatureKeys(string prefix)
{
    public string Prefix => prefix;

    public string Entity(EntityKind kind, string id) => $"{prefix}{(char)kind}:{id}";

    public string PartitionOffsets(string topic) => $"{prefix}offsets:{topic}";
}
