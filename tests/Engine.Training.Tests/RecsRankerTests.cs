using Engine.Models.Recommendations;
using Engine.Training.Ml;
using Engine.Training.Training;

namespace Engine.Training.Tests;

public sealed class RecsRankerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "engine-recs-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { /* best effort */ }
    }

    /// <summary>Sessions walking a chain of items (b follows a, ...) with noise clicks: an order the ranker can learn.</summary>
    private static List<IReadOnlyList<string>> Sessions(int count, int seed)
    {
        var random = new Random(seed);
        var sessions = new List<IReadOnlyList<string>>();
        for (var s = 0; s < count; s++)
        {
            var at = random.Next(30);
            var items = new List<string>();
            for (var i = 0; i < 2 + random.Next(5); i++)
                items.Add(random.NextDouble() < 0.2 ? $"n{random.Next(40)}" : $"c{(at + i) % 30}");
            sessions.Add(items);
        }
        return sessions;
    }

    private static SessionRecommender Blend()
    {
        var builder = new SessionIndexBuilder();
        var sessions = Sessions(600, 1);
        for (var s = 0; s < sessions.Count; s++)
            for (var i = 0; i < sessions[s].Count; i++) builder.Add($"s{s}", sessions[s][i], s * 100 + i);
        return new SessionRecommender(builder.Build(), new RecommenderOptions { RerankDepth = 30 });
    }

    [Fact]
    public void The_onnx_re_ranker_scores_candidates_as_ml_net_does_and_learns_the_next_click()
    {
        var blend = Blend();
        var rows = RecsRanker.Rows(blend, Sessions(300, 2));
        var (model, ranker) = RecsRanker.Fit(rows, new TreeOptions(Trees: 30, Leaves: 8, MinLeafCount: 10), 7, _dir, "t1", "synthetic chain", new Dictionary<string, double>());
        using (ranker)
        {
            var candidates = blend.Candidates(["c3", "c4"], null, 30);
            var onnx = ranker.Score(candidates);
            var features = candidates.Select(c =>
            {
                var row = new float[CandidateFeatures.Width];
                CandidateFeatures.Fill(c, candidates.Count, row);
                return row;
            }).ToList();
            var mlnet = model.Predict(features);
            for (var i = 0; i < candidates.Count; i++) Assert.Equal(mlnet[i], onnx[i], 5);

            var top = blend.With(ranker).Recommend(["c3", "c4"], null, 5);
            Assert.Equal("c5", top[0].ItemId);
            Assert.True(top[0].Score > top[^1].Score);
        }
    }

    [Fact]
    public void The_learned_path_never_returns_a_bought_item_and_keeps_each_reason()
    {
        var blend = Blend();
        var (_, ranker) = RecsRanker.Fit(RecsRanker.Rows(blend, Sessions(200, 3)), new TreeOptions(Trees: 10, Leaves: 4, MinLeafCount: 10), 7, _dir, "t2", "synthetic chain", new Dictionary<string, double>());
        using (ranker)
        {
            var recommender = blend.With(ranker);
            var bought = new HashSet<string> { "c5", "c6", "c4" };
            foreach (var session in new[] { new[] { "c3", "c4" }, ["c5"], ["c6", "c5", "c4"], ["unknown"] })
            {
                var top = recommender.Recommend(session, bought, 20);
                Assert.Equal(20, top.Count);
                Assert.DoesNotContain(top, r => bought.Contains(r.ItemId));
                Assert.All(top, r => Assert.Contains(r.Reason, new[] { SessionRecommender.SimilarSessions, SessionRecommender.CoVisited, SessionRecommender.InSession, SessionRecommender.Popular }));
            }
        }
    }

    [Fact]
    public void A_recommender_written_to_files_loads_back_with_its_ranker_and_recommends_the_same()
    {
        var blend = Blend();
        var (_, ranker) = RecsRanker.Fit(RecsRanker.Rows(blend, Sessions(200, 4)), new TreeOptions(Trees: 10, Leaves: 4, MinLeafCount: 10), 7, _dir, "t3", "synthetic chain", new Dictionary<string, double>());
        RecommenderFiles.WriteSessions(blend.Index, _dir);
        var loaded = RecommenderFiles.Load(_dir, blend.Options);
        using (ranker)
        using (loaded.Ranker)
        {
            Assert.NotNull(loaded.Ranker);
            var expected = blend.With(ranker).Recommend(["c7", "n3", "c8"], null, 10);
            Assert.Equal(expected, loaded.Recommend(["c7", "n3", "c8"], null, 10));
        }
    }
}
