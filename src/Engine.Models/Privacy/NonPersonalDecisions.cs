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
        // No session items and no exclusions: the recommender falls back to popularity alone.
        Items = lists.Recommend([], null, count),
    };

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
