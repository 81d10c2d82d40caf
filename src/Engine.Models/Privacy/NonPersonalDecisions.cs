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

    public Recommendation Recommend(string userId, ClickEvent cause) => new()
    {
        DecisionId = DecisionIds.Derive("recommendation", cause.EventId),
        CausedBy = cause.EventId,
        DecidedAt = DateTimeOffset.UtcNow,
        ModelVersion = recommenderVersion,
        Reasons = [new Reason(Factor, 1, 0)],
        UserId = userId,
        SessionId = cause.SessionId,
        Items = PopularExcept(cause),
    };

    /// <summary>
    /// The popular list (no session items: the recommender falls back to popularity alone), less the item the cause bought:
    /// a list never offers what was just bought (docs/contracts.md), and the cause is all of the user's behaviour used.
    /// </summary>
    private IReadOnlyList<RecommendedItem> PopularExcept(ClickEvent cause)
    {
        if (cause is not { Type: EventType.Purchase, ItemId: { } bought }) return lists.Recommend([], null, count);
        var popular = lists.Recommend([], null, count + 1); // one spare, shared by everyone through the cache
        var items = new List<RecommendedItem>(count);
        foreach (var item in popular)
            if (item.ItemId != bought && items.Count < count) items.Add(item);
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
