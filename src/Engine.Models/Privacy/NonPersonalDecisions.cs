using Engine.Models.Contracts;
using Engine.Models.Recommendations;

namespace Engine.Models.Privacy;

/// <summary>
/// Decisions for users who opted out: nothing in them comes from the user's own behaviour. Recommendations are the
/// shop's popular items (the same list for everyone, marked by the factor <see cref="Factor"/>); bid requests get a
/// no-bid with OpenRTB reason 103 (<see cref="NoBidReason.NoConsent"/>). Ids derive from the cause, as for every decision.
/// </summary>
public sealed class NonPersonalDecisions(RecommendationCache lists, string recommenderVersion, int count = 10)
{
    /// <summary>The reason every non-personal decision carries (value 1), so consumers and audits can tell them apart.</summary>
    public const string Factor = "non_personal:no_consent";

    /// <param name="bought">What the user bought in the session: never offered (docs/contracts.md). The only use of the
    /// user's behaviour, which the list is otherwise the same for everyone without.</param>
    public Recommendation Recommend(string userId, ClickEvent cause, IReadOnlySet<string>? bought = null) => new()
    {
        DecisionId = DecisionIds.Derive("recommendation", cause.EventId),
        CausedBy = cause.EventId,
        DecidedAt = DateTimeOffset.UtcNow,
        ModelVersion = recommenderVersion,
        Reasons = [new Reason(Factor, 1, 0)],
        UserId = userId,
        SessionId = cause.SessionId,
        Items = PopularExcept(cause, bought),
    };

    /// <summary>
    /// The popular list (no session items: the recommender falls back to popularity alone), less what the session bought
    /// and the item the cause bought: a list never offers what was just bought (docs/contracts.md).
    /// </summary>
    private IReadOnlyList<RecommendedItem> PopularExcept(ClickEvent cause, IReadOnlySet<string>? bought)
    {
        var causeBought = cause is { Type: EventType.Purchase, ItemId: { } item } ? item : null;
        var spare = (bought?.Count ?? 0) + (causeBought is null ? 0 : 1);
        if (spare == 0) return lists.Recommend([], null, count);
        var popular = lists.Recommend([], null, count + spare); // spares for what is left out, shared by everyone through the cache
        var items = new List<RecommendedItem>(count);
        foreach (var candidate in popular)
            if (candidate.ItemId != causeBought && bought?.Contains(candidate.ItemId) != true && items.Count < count) items.Add(candidate);
        return items;
    }

    public BidDecision NoBid(string userId, ClickEvent cause, DateTimeOffset now)
    {
        var request = cause.BidRequest!;
        return new BidDecision
        {
            DecisionId = DecisionIds.Derive("bid", request.Id),
            CausedBy = cause.EventId,
            DecidedAt = now,
            ModelVersion = "none",
            Reasons = [new Reason(Factor, 1, 0)],
            RequestId = request.Id,
            UserId = userId,
            Bid = false,
            Currency = request.Imp[0].BidFloorCur,
            Nbr = NoBidReason.NoConsent,
        };
    }
}
