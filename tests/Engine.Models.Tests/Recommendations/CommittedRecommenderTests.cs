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
    public void A_model_that_is_not_a_re_ranker_is_refused()
    {
        using var churn = Scorer.Load(ModelFiles.Committed("churn"));
        var error = Assert.Throws<ModelLoadException>(() => new LearnedRanker(churn));
        Assert.Contains("not a recommendation re-ranker", error.Message);
    }
}
