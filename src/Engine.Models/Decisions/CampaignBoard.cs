using System.Collections.Concurrent;

namespace Engine.Models.Decisions;

/// <summary>A node's board of campaign snapshots: written by campaign actors, read by the bidding user actors on any thread.</summary>
public sealed class CampaignBoard : ICampaignBoard
{
    private readonly ConcurrentDictionary<string, CampaignSnapshot> _snapshots = new(StringComparer.Ordinal);

    public void Publish(CampaignSnapshot snapshot) => _snapshots[snapshot.Spec.CampaignId] = snapshot;

    public bool TryGet(string campaignId, out CampaignSnapshot snapshot) => _snapshots.TryGetValue(campaignId, out snapshot!);
}
