using Engine.Models.Contracts;

namespace Engine.FaultTests.Harness;

/// <summary>
/// The deterministic decisions read back against the reference: how many were expected, missing, repeated, and
/// whether any repeat carried a new id (a decision id must be the hash of its cause, so the same cause means the same id).
/// </summary>
public sealed record DecisionOutcome(
    int BidsExpected, int BidsMissing, int BidsRead, int BidIdsNotFromCause,
    int RecommendationsExpected, int RecommendationsMissing, int RecommendationsRead, int RecommendationRepeats, int RecommendationIdsNotFromCause,
    IReadOnlyList<string> MissingExamples)
{
    public static DecisionOutcome Of(DecisionLog log, IReadOnlySet<string> bidIds, IReadOnlySet<string> recommendationIds)
    {
        var bids = log.Bids.ToList();
        var recs = log.Recommendations.ToList();
        var bidsSeen = bids.Select(b => b.Id).ToHashSet();
        var recsSeen = recs.Select(r => r.Id).ToHashSet();
        var missingBids = bidIds.Where(id => !bidsSeen.Contains(id)).ToList();
        var missingRecs = recommendationIds.Where(id => !recsSeen.Contains(id)).ToList();
        return new DecisionOutcome(
            bidIds.Count, missingBids.Count, bids.Count, bids.Count(b => b.Id != DecisionIds.Derive("bid", b.RequestId)),
            recommendationIds.Count, missingRecs.Count, recs.Count, recs.Count - recsSeen.Count,
            recs.Count(r => r.Id != DecisionIds.Derive("recommendation", r.CausedBy)),
            [.. missingBids.Take(3).Select(id => "bid " + id), .. missingRecs.Take(3).Select(id => "recommendation " + id)]);
    }

    public void AssertNothingLost()
    {
        Assert.True(BidsMissing == 0 && RecommendationsMissing == 0, "decisions lost: " + this);
        Assert.Equal(0, BidIdsNotFromCause);
        Assert.Equal(0, RecommendationIdsNotFromCause);
    }

    public override string ToString() =>
        $"bids: {BidsExpected:N0} expected, {BidsRead:N0} read ({BidsRead - BidsExpected + BidsMissing:N0} repeats), {BidsMissing:N0} missing, {BidIdsNotFromCause} with an id not from their cause; " +
        $"recommendations: {RecommendationsExpected:N0} expected, {RecommendationsRead:N0} read ({RecommendationRepeats:N0} repeats of an id), {RecommendationsMissing:N0} missing, " +
        $"{RecommendationIdsNotFromCause} with an id not from their cause" + (MissingExamples.Count > 0 ? "; missing e.g. " + string.Join(", ", MissingExamples) : "");
}
