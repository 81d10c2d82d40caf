namespace Engine.Models.Features.State;

/// <summary>
/// What changed in an entity's state since the last drain, as absolute hash field values (setting them twice
/// is harmless) and fields to delete (buckets that left every window). The store writes them as they are.
/// </summary>
public sealed class EntityChanges
{
    public List<KeyValuePair<string, string>> Set { get; } = new(16);
    public List<string> Delete { get; } = [];
    /// <summary>Whether the store should renew the key's TTL with this write (first write, then about once a day of event time).</summary>
    public bool RenewTtl { get; set; }
    public bool IsEmpty => Set.Count == 0 && Delete.Count == 0;
}
