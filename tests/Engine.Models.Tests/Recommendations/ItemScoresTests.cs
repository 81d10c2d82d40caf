using Engine.Models.Recommendations;

namespace Engine.Models.Tests.Recommendations;

public sealed class ItemScoresTests
{
    /// <summary>Rank sorts only what lies ahead of the weakest wanted item, by keys then ties by item: each wanted item's
    /// rank must be exactly its position in a full sort by the ByScore comparer.</summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Ranks_of_wanted_items_are_their_positions_in_a_sort_by_score_descending_ties_by_item(int seed, bool withNaN)
    {
        var random = new Random(seed);
        var scores = new ItemScores(5_000);
        for (var round = 0; round < 40; round++)
        {
            scores.Clear();
            // Few distinct scores, signed zeros among them, so ties are common; items touched in random order.
            double[] palette = [0.0, -0.0, 0.25, 0.5, 1.5, 3.0, -1.0, withNaN ? double.NaN : 2.0];
            foreach (var item in Enumerable.Range(0, random.Next(0, 3_000)).Select(_ => random.Next(0, 5_000)).Distinct())
                scores.Set(item, palette[random.Next(palette.Length)]);
            var expected = scores.Touched.ToArray();
            Array.Sort(expected, new ItemScores.ByScore(scores.Values));
            // Some scored items (from anywhere in the order) and some the source never scored.
            var wanted = Enumerable.Range(0, random.Next(0, 60)).Select(_ => random.Next(0, 5_000)).Distinct().ToArray();

            scores.Rank(wanted);

            foreach (var item in wanted)
                Assert.Equal(scores.Contains(item) ? Array.IndexOf(expected, item) : -1, scores.RankOf(item, -1));
        }
    }
}
