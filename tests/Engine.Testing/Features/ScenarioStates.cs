using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Testing.Features;

/// <summary>The pure states of a scenario, routed as the write-behind routes: user, its item (with co-visits), its campaign.</summary>
public sealed class ScenarioStates(TimeSpan lateness)
{
    public Dictionary<string, UserFeatureState> Users { get; } = [];
    public Dictionary<string, CampaignFeatureState> Campaigns { get; } = [];
    public Dictionary<string, ItemFeatureState> Items { get; } = [];
    public List<ApplyOutcome> UserOutcomes { get; } = [];

    public ScenarioStates Apply(IEnumerable<(ClickEvent Event, EventPosition Position)> deliveries)
    {
        var coVisited = new List<string>();
        foreach (var (e, position) in deliveries)
        {
            coVisited.Clear();
            UserOutcomes.Add(Get(Users, e.UserId, id => new UserFeatureState(id, lateness)).Apply(e, position, coVisited));
            if (e.ItemId is { } item)
            {
                Get(Items, item, id => new ItemFeatureState(id, lateness)).Apply(e, position, coVisited);
                foreach (var other in coVisited) Get(Items, other, id => new ItemFeatureState(id, lateness)).AddCoVisit(item, position);
            }
            if (e.CampaignId is { } campaign) Get(Campaigns, campaign, id => new CampaignFeatureState(id, lateness)).Apply(e, position);
        }
        return this;
    }

    private static T Get<T>(Dictionary<string, T> states, string id, Func<string, T> create)
    {
        if (!states.TryGetValue(id, out var state)) states[id] = state = create(id);
        return state;
    }
}
