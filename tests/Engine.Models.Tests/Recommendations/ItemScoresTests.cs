using Engine.Models.Recommendations;

namespace Engine.Models.Tests.Recommendations;

public sealed class ItemScoresTests
{
    /// <summary>Rank sorts by keys then ties by item: it must give exactly the order of the ByScore comparer.</summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Ranks_are_the_positions_of_a_sort_by_score_descending_ties_by_item(int seed, bool withNaN)
    {
        var random = new Random(seed);
        var scores = new ItemScores(5_000);
        for (var round = 0; round < 20; round++)
        {
            scores.Clear();
            // Few distinct scores, signed zeros among them, so ties are common; items touched in random order.
            double[] palette = [0.0, -0.0, 0.25, 0.5, 1.5, 3.0, -1.0, withNaN ? double.NaN : 2.0];
            foreach (var item in Enumerable.Range(0, random.Next(0, 3_000)).Select(_ => random.Next(0, 5_000)).Distinct())
                scores.Set(item, palette[random.Next(palette.Length)]);
            var expected = scores.Touched.ToArray();
            Array.Sort(expected, new ItemScores.ByScore(scores.Values));

            scores.Rank();

            Assert.Equal(expected, scores.Touched.ToArray());
            for (var r = 0; r < expected.Length; r++) Assert.Equal(r, scores.RankOf(expected[r], -1));
        }
    }
}
