using Engine.Actors.Pipeline;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;

namespace Engine.FaultTests.Harness;

/// <summary>
/// The decision ids an uninterrupted engine must emit for the event log, computed without the engine: only the kinds
/// that are a function of the events. Bid decisions: one per bid request (the fault streams allow 10 minutes, so none
/// is dropped as late). Recommendations: the user decider over each user's events in order, as the user actor calls
/// it (after each view, search, cart add or purchase, with the items bought in the session, which the state keeps). A
/// restarted actor forgets only which list it sent last, which can add a repeat but never remove one; a list left to a later
/// click of its session read with it under a backlog is replaced, not lost (<see cref="DecisionOutcome"/>). Churn alerts are left out: whether one opens depends on the in-memory episode and on when the sweeper runs.
/// </summary>
public static class DecisionReference
{
    public static IReadOnlySet<string> Bids(IEnumerable<ClickEvent> events) =>
        events.Where(e => e.Type == EventType.BidRequest).Select(e => DecisionIds.Derive("bid", e.BidRequest!.Id)).ToHashSet();

    public static ExpectedLists Recommendations(IEnumerable<(ClickEvent Event, EventPosition Position)> delivered, DecisionModels models)
    {
        var decider = new UserDecider(models, new DecisionSettings(), new CampaignBoard());
        var (expected, pageEvents) = (new Dictionary<string, ListCause>(StringComparer.Ordinal), new Dictionary<string, ListCause>(StringComparer.Ordinal));
        foreach (var user in delivered.GroupBy(d => d.Event.UserId))
        {
            var state = new UserFeatureState(user.Key);
            var memo = new RecommendationMemo();
            foreach (var (e, position) in user.OrderBy(d => d.Position.Offset))
            {
                state.Apply(e, position); // keeps the items bought in the session, as the actor reads them
                if (!ListConflation.ListsAfter(e.Type)) continue;
                var cause = new ListCause(e.EventId, e.UserId, e.SessionId, position.Offset, e.Type);
                pageEvents[e.EventId] = cause;
                if (decider.Recommend(state, e, state.BoughtInSession, ref memo) is { } recommendation) expected[recommendation.DecisionId] = cause;
            }
        }
        return new ExpectedLists(expected, pageEvents);
    }
}

/// <summary>
/// The lists an uninterrupted engine that read each event alone would send (<see cref="Expected"/>, by decision id), and where every
/// page event is (<see cref="PageEvents"/>, by event id): under a backlog a list may be left to a later click of its session read with
/// it (<see cref="ListConflation"/>), which then goes out.
/// </summary>
public sealed record ExpectedLists(IReadOnlyDictionary<string, ListCause> Expected, IReadOnlyDictionary<string, ListCause> PageEvents);

/// <summary>A page event, its user, session, offset (a user's events share a partition, so offsets order them) and type.</summary>
public readonly record struct ListCause(string EventId, string UserId, string? SessionId, long Offset, EventType Type);
