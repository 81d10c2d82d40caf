using System.Collections.Concurrent;
using Engine.Models.Contracts;

namespace Engine.Actors.Campaigns;

/// <summary>The booked campaigns a node knows, updated as specs arrive (e.g. from the compacted campaigns topic).</summary>
public sealed class CampaignCatalog : ICampaignCatalog
{
    private readonly ConcurrentDictionary<string, CampaignSpec> _specs = new(StringComparer.Ordinal);

    public void Put(CampaignSpec spec) => _specs[spec.CampaignId] = spec;

    public bool TryGet(string campaignId, out CampaignSpec spec) => _specs.TryGetValue(campaignId, out spec!);

    public IReadOnlyCollection<CampaignSpec> All => [.. _specs.Values];
}
