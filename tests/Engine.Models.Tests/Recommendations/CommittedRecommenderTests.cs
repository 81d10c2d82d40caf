using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Models.Tests.Scoring;

namespace Engine.Models.Tests.Recommendations;

public sealed class CommittedRecommenderTests
{
    private static readonly Lazy<SessionRecommender> Committed =
        new(() => RecommenderFiles.Load(Path.GetDirectoryName(ModelFiles.Committed("recs"))!));

    /// <summary>Items of the committed index's first sessions: clicks the shop has really seen.</summary>
    private static List<string> KnownItems() =>
        File.ReadLines(Path.Combine(Path.GetDirectoryName(ModelFiles.Committed("recs"))!, RecommenderFiles.SessionsFile))
            .Take(50).SelectMany(l => l.Split('\t')[1].Split(' ')).Distinct().ToList();

    [Fact]
    public void The_runtime_loads_the_committed_recommender_with_its_onnx_ranker()
    {
        var recommender = Committed.Value;
        Assert.NotNull(recommender.Ranker);
        var items = KnownItems();
        var top = recommender.Recommend(items.Take(3).ToList(), null, 10);
        Assert.Equal(10, top.Count);
        Assert.Contains(top, r => r.Reason != SessionRecommender.Popular);
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Score >= p.Second.Score || p.Second.Reason == SessionRecommender.Popular));
    }

    /// <summary>
    /// Each candidate's reason is the source that gave it the largest share of its blended score: before 2026-12-07 the
    /// last source (the session's own items) was compared with the sum of the earlier two, so an item of the session that
    /// neighbours also proposed was named similar_sessions where its own click gave more (review).
    /// </summary>
    [Fact]
    public void A_candidates_reason_is_the_source_that_gave_it_the_largest_share()
    {
        var recommender = Committed.Value;
        var options = recommender.Options;
        var sessions = File.ReadLines(Path.Combine(Path.GetDirectoryName(ModelFiles.Committed("recs"))!, RecommenderFiles.SessionsFile))
            .Take(200).Select(l => l.Split('\t')[1].Split(' ')).Where(s => s.Length >= 3).ToList();
        var (checkedCandidates, inSessionOverNeighbours) = (0, 0);
        foreach (var session in sessions)
            foreach (var c in recommender.Candidates(session, null, 100))
            {
                var shares = new[] { (SessionRecommender.SimilarSessions, c.Knn), (SessionRecommender.CoVisited, options.RuleWeight * c.CoVisit),
                    (SessionRecommender.InSession, options.SessionItemWeight * c.InSession) };
                var largest = shares.Max(s => s.Item2);
                Assert.Equal(shares.First(s => s.Item2 >= largest - 1e-12).Item1, c.Reason);
                checkedCandidates++;
                if (c.Reason == SessionRecommender.InSession && c.Knn > 0) inSessionOverNeighbours++;
            }
        Assert.True(inSessionOverNeighbours > 0, $"none of {checkedCandidates} candidates had its own click outweigh the neighbours' share");
    }

    [Fact]
    public void The_committed_recommender_never_offers_what_was_just_bought()
    {
        var recommender = Committed.Value;
        var items = KnownItems();
        for (var s = 0; s + 4 <= 40 && s + 4 <= items.Count; s += 4)
        {
            var session = items.Skip(s).Take(4).ToList();
            var first = recommender.Recommend(session, null, 20);
            // Buying the two best recommendations and the last clicked item removes them from the next list.
            var bought = new HashSet<string>(first.Take(2).Select(r => r.ItemId).Append(session[^1]));
            var next = recommender.Recommend(session, bought, 20);
            Assert.Equal(20, next.Count);
            Assert.DoesNotContain(next, r => bought.Contains(r.ItemId));
        }
    }

    [Fact]
    public void The_ranker_orders_the_best_blended_candidates_with_their_features_in_the_full_request()
    {
        var recommender = Committed.Value;
        var items = KnownItems();
        var (depth, ranked) = (recommender.Options.RerankDepth, recommender.Options.RankedDepth);
        for (var s = 0; s + 3 <= 30 && s + 3 <= items.Count; s += 3)
        {
            var session = items.Skip(s).Take(3).ToList();
            var full = recommender.Candidates(session, null, depth);
            var best = full.Take(ranked).ToList();
            var (rows, probabilities) = (new float[best.Count * CandidateFeatures.Width], new float[best.Count]);
            recommender.Ranker!.Score(best.ToArray(), full.Count, rows, probabilities);
            var expected = Enumerable.Range(0, best.Count).OrderByDescending(i => probabilities[i]).ThenBy(i => i)
                .Take(20).Select(i => best[i].ItemId);

            var served = recommender.Recommend(session, null, 20).Where(r => r.Reason != SessionRecommender.Popular).Select(r => r.ItemId);

            Assert.Equal(expected, served);
        }
    }

    [Fact]
    public void A_model_that_is_not_a_re_ranker_is_refused()
    {
        using var churn = Scorer.Load(ModelFiles.Committed("churn"));
        var error = Assert.Throws<ModelLoadException>(() => new LearnedRanker(churn));
        Assert.Contains("not a recommendation re-ranker", error.Message);
    }
}
