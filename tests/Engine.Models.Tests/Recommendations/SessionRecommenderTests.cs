using Engine.Models.Recommendations;

namespace Engine.Models.Tests.Recommendations;

public sealed class SessionRecommenderTests
{
    /// <summary>Sessions over a small catalogue where b follows a, c follows b, and so on.</summary>
    private static SessionIndex Index()
    {
        var builder = new SessionIndexBuilder();
        var random = new Random(1);
        string[] chain = ["a", "b", "c", "d", "e", "f", "g"];
        for (var s = 0; s < 300; s++)
        {
            var start = random.Next(chain.Length - 2);
            for (var i = 0; i < 3; i++) builder.Add($"s{s}", chain[start + i], s * 100 + i);
            builder.Add($"s{s}", $"noise{random.Next(20)}", s * 100 + 5);
        }
        return builder.Build();
    }

    [Fact]
    public void The_item_that_usually_comes_next_ranks_first_among_new_items()
    {
        var top = new SessionRecommender(Index()).Recommend(["a", "b"], null, 5);
        Assert.Equal("c", top.First(r => r.ItemId is not ("a" or "b")).ItemId);
    }

    [Fact]
    public void What_the_user_just_bought_is_never_recommended()
    {
        var recommender = new SessionRecommender(Index(), new RecommenderOptions { SessionItemWeight = 1 });
        var bought = new HashSet<string> { "c", "b" };
        foreach (var session in new[] { new[] { "a", "b" }, ["b"], ["c", "b", "a"], ["unknown"] })
        {
            var top = recommender.Recommend(session, bought, 20);
            Assert.DoesNotContain(top, r => bought.Contains(r.ItemId));
            Assert.Equal(20, top.Count);
        }
    }

    [Fact]
    public void A_session_of_unknown_items_gets_the_popular_items()
    {
        var top = new SessionRecommender(Index()).Recommend(["never-seen"], null, 3);
        Assert.Equal(3, top.Count);
        Assert.All(top, r => Assert.Equal(SessionRecommender.Popular, r.Reason));
    }

    [Fact]
    public void The_co_visitation_index_keeps_at_most_the_configured_neighbours_per_item()
    {
        var index = Index();
        var rules = CoVisitationIndex.Build(index, window: 10, maxNeighbours: 3);
        Assert.True(index.TryGetItem("a", out var a));
        var after = rules.After(a).ToArray();
        Assert.Equal(3, after.Length);
        Assert.Equal("b", index.Items[after[0].Item]);
    }
}
