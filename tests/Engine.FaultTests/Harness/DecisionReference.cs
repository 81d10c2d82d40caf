using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;

namespace Engine.FaultTests.Harness;

/// <summary>
/// The decision ids an uninterrupted engine must emit for the event log, computed without the engine: only the kinds
/// that are a function of the events. Bid decisions: one per bid request (the fault streams allow 10 minutes, so none
/// is dropped as late). Recommendations: the user decider over each user's events in order, as the user actor calls
/// it (after each view, search, cart add or purchase, with the items bought in the session, which the state keeps). A
/// restarted actor forgets only which list it sent last, which can add a repeat but never remove one. Churn alerts are left out: whether one opens depends on the in-memory episode and on when the sweeper runs.
/// </summary>
public static class DecisionReference
{
    public static IReadOnlySet<string> Bids(IEnumerable<ClickEvent> events) =>
        events.Where(e => e.Type == EventType.BidRequest).Select(e => DecisionIds.Derive("bid", e.BidRequest!.Id)).ToHashSet();

    public static IReadOnlySet<string> Recommendations(IEnumerable<(ClickEvent Event, EventPosition Position)> delivered, DecisionModels models)
    {
        var decider = new UserDecider(models, new DecisionSettings(), new CampaignBoard());
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in delivered.GroupBy(d => d.Event.UserId))
        {
            var state = new UserFeatureState(user.Key);
            var memo = new RecommendationMemo();
            foreach (var (e, position) in user.OrderBy(d => d.Position.Offset))
            {
                state.Apply(e, position); // keeps the items bought in the session, as the actor reads them
                if (e.Type is EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase &&
                    decider.Recommend(state, e, state.BoughtInSession, ref memo) is { } recommendation)
                    ids.Add(recommendation.DecisionId);
            }
        }
        return ids;
    }
}
