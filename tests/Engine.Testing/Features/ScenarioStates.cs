using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Testing.Features;

/// <summary>
/// The pure states of a scenario, routed as the write-behind routes: user, its item (with co-visits) in the slice of
/// the event's partition, its campaign.
/// </summary>
public sealed class ScenarioStates(TimeSpan lateness)
{
    public Dictionary<string, UserFeatureState> Users { get; } = [];
    public Dictionary<string, CampaignFeatureState> Campaigns { get; } = [];
    public Dictionary<(string Item, int Slice), ItemFeatureState> ItemSlices { get; } = [];
    public List<ApplyOutcome> UserOutcomes { get; } = [];

    /// <summary>Each item as read: the sum of its slices.</summary>
    public Dictionary<string, ItemFeatureState> Items =>
        ItemSlices.GroupBy(s => s.Key.Item).ToDictionary(g => g.Key, g => ItemFeatureState.Merge(g.Key, lateness, g.Select(s => s.Value)));

    public ScenarioStates Apply(IEnumerable<(ClickEvent Event, EventPosition Position)> deliveries)
    {
        var coVisited = new List<string>();
        foreach (var (e, position) in deliveries)
        {
            coVisited.Clear();
            UserOutcomes.Add(Get(Users, e.UserId, id => new UserFeatureState(id, lateness)).Apply(e, position, coVisited));
            if (e.ItemId is { } item)
            {
                Slice(item, position.Partition).Apply(e, position, coVisited);
                foreach (var other in coVisited) Slice(other, position.Partition).AddCoVisit(item, position);
            }
            if (e.CampaignId is { } campaign) Get(Campaigns, campaign, id => new CampaignFeatureState(id, lateness)).Apply(e, position);
        }
        return this;
    }

    private ItemFeatureState Slice(string item, int partition) =>
        Get(ItemSlices, (item, partition), key => new ItemFeatureState(key.Item1, lateness) { Slice = key.Item2 });

    private static T Get<T, TKey>(Dictionary<TKey, T> states, TKey id, Func<TKey, T> create) where TKey : notnull
    {
        if (!states.TryGetValue(id, out var state)) states[id] = state = create(id);
        return state;
    }
}
