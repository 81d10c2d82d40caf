using Engine.Models.Recommendations;

namespace Engine.Models.Tests.Recommendations;

public sealed class TopNeighboursTests
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

            var kept = TopNeighbours.Select(neighbours, k);

            Assert.Equal(Math.Min(k, neighbours.Length), kept);
            Assert.Equal(expected.Take(kept), neighbours.Take(kept));
        }
    }
}
