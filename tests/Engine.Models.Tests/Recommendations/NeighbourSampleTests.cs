using Engine.Models.Recommendations;

namespace Engine.Models.Tests.Recommendations;

public sealed class NeighbourSampleTests
{
    /// <summary>
    /// The sample against its definition, on sessions whose end times tie often: walk each item's first sampleSize postings
    /// in item order, keep each session where first met, stable-sort by end time newest first, take sampleSize; each
    /// sampled session's similarity is the match of the current items it holds, summed in item order.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 5)]
    [InlineData(3, 40)]
    [InlineData(4, 1000)]
    public void The_sample_is_the_newest_sessions_of_the_items_postings_with_ties_at_the_cut_kept_in_walk_order(int seed, int sampleSize)
    {
        var random = new Random(seed);
        var builder = new SessionIndexBuilder();
        for (var s = 0; s < 400; s++)
        {
            var end = random.Next(0, 60) * 10.0; // ~7 sessions per end time
            var length = random.Next(1, 6);
            for (var c = 0; c < length; c++) builder.Add($"s{s}", $"i{random.Next(0, 25)}", end - (length - c) * 1e-3);
        }
        var index = builder.Build();
        var scratch = new RecommendScratch(index);
        for (var round = 0; round < 50; round++)
        {
            var items = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(0, index.Items.Count)).Distinct().ToArray();
            var match = items.Select(_ => random.Next(1, 5) / 4.0).ToArray();
            scratch.Clear();

            NeighbourSample.Take(index, items, match, sampleSize, scratch);

            var walked = new List<int>();
            foreach (var item in items)
                foreach (var session in index.Postings[item].Take(sampleSize))
                    if (!walked.Contains(session)) walked.Add(session);
            var expected = walked.OrderByDescending(s => index.SessionTimes[s]).Take(sampleSize)
                .Select(s => (s, Similarity(index.DistinctSessions[s], items, match))).OrderBy(n => n.s).ToList();
            var actual = scratch.Sampled.Select(n => (n.Session, n.Similarity)).OrderBy(n => n.Session).ToList();
            Assert.Equal(expected, actual);
        }
    }

    private static double Similarity(int[] sessionItems, int[] items, double[] match)
    {
        double similarity = 0;
        for (var j = 0; j < items.Length; j++)
            if (sessionItems.Contains(items[j])) similarity += match[j];
        return similarity;
    }
}
