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
    /// An expected list that is not on the topic is <see cref="RecommendationsReplaced"/>, not missing, only when the engine may have
    /// left it to a later click read with it (<see cref="ListConflation"/>): the user's next page event is of the same session, not a
    /// search (which may send none), fewer
    /// than <paramref name="window"/> records later on the partition, and its list is on the topic or was itself left to the next
    /// the same way. A session's latest list has no later click to replace it: it must be there.
    /// </remarks>
    public static DecisionOutcome Of(DecisionLog log, IReadOnlySet<string> bidIds, ExpectedLists lists, int window) =>
        Of([.. log.Bids.Select(b => (b.Id, b.RequestId))], [.. log.Recommendations], bidIds, lists, window);

    /// <param name="bids">(decision id, request id) of each bid decision read.</param>
    /// <param name="recs">(decision id, caused by) of each recommendation read, repeats included.</param>
    public static DecisionOutcome Of(IReadOnlyList<(string Id, string RequestId)> bids, IReadOnlyList<(string Id, string CausedBy)> recs,
        IReadOnlySet<string> bidIds, ExpectedLists lists, int window)
    {
        var bidsSeen = bids.Select(b => b.Id).ToHashSet();
        var recsSeen = recs.Select(r => r.Id).ToHashSet();
        var listedCauses = recs.Select(r => r.CausedBy).ToHashSet(StringComparer.Ordinal);
        var covered = new HashSet<string>(StringComparer.Ordinal); // page events whose list is on the topic, or left along a chain to one that is
        foreach (var user in lists.PageEvents.GroupBy(p => p.Value.UserId))
        {
            (string Id, ListCause Cause)? next = null;
            foreach (var (id, cause) in user.OrderByDescending(p => p.Value.Offset))
            {
                if (listedCauses.Contains(id)
                    || (next is { } n && cause.SessionId is { } session && n.Cause.SessionId == session && n.Cause.Type != EventType.Search
                        && n.Cause.Offset - cause.Offset < window && covered.Contains(n.Id)))
                    covered.Add(id);
                next = (id, cause);
            }
        }
        var missingBids = bidIds.Where(id => !bidsSeen.Contains(id)).ToList();
        var notRead = lists.Expected.Where(e => !recsSeen.Contains(e.Key)).ToList();
        var missingRecs = notRead.Where(e => !covered.Contains(e.Value.EventId)).Select(e => e.Key).ToList();
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
