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
