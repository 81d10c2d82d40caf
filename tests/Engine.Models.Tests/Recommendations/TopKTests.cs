using Engine.Models.Recommendations;
using Engine.Testing;

namespace Engine.Models.Tests.Recommendations;

public sealed class TopKTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 50)]
    [InlineData(4, 500)]
    [InlineData(5, 1000)]
    public void Selecting_the_top_k_gives_exactly_the_first_k_of_a_full_sort_ties_included(int seed, int k)
    {
        var random = new Random(seed);
        for (var round = 0; round < 20; round++)
        {
            // Few distinct similarities, so ties (broken by session, newest first) are the common case.
            var neighbours = Enumerable.Range(0, random.Next(0, 1200))
                .Select(s => new RecommendScratch.Neighbour(s, random.Next(1, 8) / 4.0))
                .OrderBy(_ => random.Next())
                .ToArray();
            var expected = neighbours.ToArray();
            Array.Sort(expected, new RecommendScratch.BySimilarity());

            var kept = TopK.Select(neighbours.AsSpan(), k, new RecommendScratch.BySimilarity());

            Assert.Equal(Math.Min(k, neighbours.Length), kept);
            Assert.Equal(expected.Take(kept), neighbours.Take(kept));
        }
    }

    [Theory]
    [InlineData(6, 30)]
    [InlineData(7, 100)]
    public void Selecting_the_top_items_by_score_gives_the_first_k_of_a_full_sort(int seed, int k)
    {
        var random = new Random(seed);
        var scores = Enumerable.Range(0, 3000).Select(_ => random.Next(0, 20) / 4.0).ToArray(); // many ties, broken by item
        var items = Enumerable.Range(0, scores.Length).OrderBy(_ => random.Next()).ToArray();
        var expected = items.ToArray();
        Array.Sort(expected, new ItemScores.ByScore(scores));

        var kept = TopK.Select(items.AsSpan(), k, new ItemScores.ByScore(scores));

        Assert.Equal(k, kept);
        Assert.Equal(expected.Take(k), items.Take(k));
    }

    [Fact]
    public void Selecting_allocates_nothing_whether_k_is_below_or_above_the_count()
    {
        // Span.Sort with a struct comparer boxes it and wraps it in a delegate on every call: three per recommendation.
        var scores = Enumerable.Range(0, 400).Select(i => (i * 7919 % 400) / 3.0).ToArray();
        var items = Enumerable.Range(0, 400).ToArray();
        TopK.Select(items.AsSpan(), 40, new ItemScores.ByScore(scores));
        TopK.Select(items.AsSpan(0, 30), 40, new ItemScores.ByScore(scores));

        Assert.Equal(0, Allocations.QuietestRound(() =>
        {
            TopK.Select(items.AsSpan(), 40, new ItemScores.ByScore(scores));
            TopK.Select(items.AsSpan(0, 30), 40, new ItemScores.ByScore(scores));
        }));
    }
}
