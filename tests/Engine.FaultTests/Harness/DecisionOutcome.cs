using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.FaultTests.Harness;

/// <summary>
/// The deterministic decisions read back against the reference: how many were expected, missing, repeated, and
/// whether any repeat carried a new id (a decision id must be the hash of its cause, so the same cause means the same id).
/// </summary>
public sealed record DecisionOutcome(
    int BidsExpected, int BidsMissing, int BidsRead, int BidIdsNotFromCause,
    int RecommendationsExpected, int RecommendationsMissing, int RecommendationsReplaced, int RecommendationsRead, int RecommendationRepeats,
    int RecommendationIdsNotFromCause, IReadOnlyList<string> MissingExamples)
{
    /// <remarks>
    /// An expected list that is not on the topic is <see cref="RecommendationsReplaced"/>, not missing, when a list of a later click of
    /// the same user's session is (the engine left it to that click, read together under a backlog: <see cref="ListConflation"/>).
    /// A session's latest expected list has no later click to replace it: it must be there.
    /// </remarks>
    public static DecisionOutcome Of(DecisionLog log, IReadOnlySet<string> bidIds, ExpectedLists lists)
    {
        var bids = log.Bids.ToList();
        var recs = log.Recommendations.ToList();
        var bidsSeen = bids.Select(b => b.Id).ToHashSet();
        var recsSeen = recs.Select(r => r.Id).ToHashSet();
        var latestListed = new Dictionary<(string, string), long>();
        foreach (var (_, causedBy) in recs)
            if (lists.PageEvents.TryGetValue(causedBy, out var cause) && cause.SessionId is { } session)
                latestListed[(cause.UserId, session)] = Math.Max(cause.Offset, latestListed.GetValueOrDefault((cause.UserId, session), long.MinValue));
        var missingBids = bidIds.Where(id => !bidsSeen.Contains(id)).ToList();
        var notRead = lists.Expected.Where(e => !recsSeen.Contains(e.Key)).ToList();
        var missingRecs = notRead.Where(e => !(e.Value.SessionId is { } session && latestListed.GetValueOrDefault((e.Value.UserId, session), long.MinValue) > e.Value.Offset))
            .Select(e => e.Key).ToList();
        return new DecisionOutcome(
            bidIds.Count, missingBids.Count, bids.Count, bids.Count(b => b.Id != DecisionIds.Derive("bid", b.RequestId)),
            lists.Expected.Count, missingRecs.Count, notRead.Count - missingRecs.Count, recs.Count, recs.Count - recsSeen.Count,
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
        $"recommendations: {RecommendationsExpected:N0} expected, {RecommendationsRead:N0} read ({RecommendationRepeats:N0} repeats of an id), " +
        $"{RecommendationsReplaced:N0} replaced by a later click's list of the session (read together), {RecommendationsMissing:N0} missing, " +
        $"{RecommendationIdsNotFromCause} with an id not from their cause" + (MissingExamples.Count > 0 ? "; missing e.g. " + string.Join(", ", MissingExamples) : "");
}
