using Engine.Models.Scoring;
using Engine.Testing;

namespace Engine.Models.Tests.Scoring;

public sealed class BatchAndExplanationTests
{
    [Fact]
    public void A_batch_gives_the_same_probabilities_as_single_calls()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("churn"));
        var rows = RandomRows(scorer, 50, seed: 3);
        var batch = new float[50];
        scorer.ScoreBatch(rows, batch);
        for (var r = 0; r < 50; r++)
            Assert.Equal(scorer.Score(rows.AsSpan(r * scorer.Width, scorer.Width)).Probability, batch[r], 6);
    }

    [Fact]
    public void Batches_of_every_size_score_each_row_as_a_single_call_does_on_the_bound_and_the_general_path()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("churn"));
        var rows = RandomRows(scorer, 300, seed: 5);
        var singles = Enumerable.Range(0, 300).Select(r => scorer.Score(rows.AsSpan(r * scorer.Width, scorer.Width)).Probability).ToArray();
        // Sizes in any order, so one pre-bound slot serves several row counts in turn; 129 and 300 take the general path.
        foreach (var count in new[] { 7, 1, 128, 40, 7, 129, 300, 2 })
        {
            var probabilities = Enumerable.Repeat(-1f, 300).ToArray();
            scorer.ScoreBatch(rows, count, probabilities);
            for (var r = 0; r < count; r++) Assert.Equal(singles[r], probabilities[r], 6);
            Assert.All(probabilities.Skip(count), p => Assert.Equal(-1f, p));
        }
    }

    [Fact]
    public void A_bid_requests_candidates_scored_in_one_batch_get_exactly_the_probabilities_of_one_call_each()
    {
        // UserDecider.Bid scores a request's candidates (up to 5 in the simulator) in one call: its bids, prices and
        // reasons must not move by a bit against scoring them one by one.
        using var scorer = Scorer.Load(ModelFiles.Committed("bid"));
        var rows = RandomRows(scorer, 8, seed: 13);
        var singles = Enumerable.Range(0, 8).Select(r => scorer.Score(rows.AsSpan(r * scorer.Width, scorer.Width)).Probability).ToArray();
        for (var count = 1; count <= 8; count++)
        {
            var probabilities = new float[count];
            scorer.ScoreBatch(rows, count, probabilities);
            Assert.Equal(singles[..count], probabilities);
        }
        Assert.True(singles.Distinct().Count() > 1, "the rows should not all score alike");
    }

    [Fact]
    public void A_batch_of_a_ranked_list_allocates_nothing_once_warm()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("churn"));
        var rows = RandomRows(scorer, 40, seed: 7);
        var probabilities = new float[40];
        scorer.ScoreBatch(rows, 40, probabilities);
        Assert.Equal(0, Allocations.QuietestRound(() => scorer.ScoreBatch(rows, 40, probabilities)));
    }

    [Fact]
    public void A_single_score_allocates_nothing_once_warm()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("churn"));
        var row = RandomRows(scorer, 1, seed: 11);
        var first = scorer.Score(row).Probability;
        var last = 0f;
        Assert.Equal(0, Allocations.QuietestRound(() => last = scorer.Score(row).Probability));
        Assert.Equal(first, last);
    }

    private static float[] RandomRows(Scorer scorer, int count, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * scorer.Width];
        for (var i = 0; i < rows.Length; i++) rows[i] = scorer.Metadata.Baseline![i % scorer.Width] * (float)(random.NextDouble() * 2) + (float)random.NextDouble() * 100;
        return rows;
    }

    [Fact]
    public void Top_factors_name_the_features_that_moved_the_score_most()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("churn"));
        var row = scorer.Metadata.Baseline!.ToArray();
        var recency = scorer.Metadata.Features.ToList().IndexOf("seconds_since_last_event");
        row[recency] = 20 * 86_400f; // three weeks of silence: the strongest churn signal

        var reasons = Explainer.TopFactors(scorer, row, top: 3);

        Assert.NotEmpty(reasons);
        Assert.Equal("seconds_since_last_event", reasons[0].Factor);
        Assert.True(reasons[0].Contribution > 0);
    }

    [Theory]
    [InlineData("churn")]
    [InlineData("bid")]
    public void Top_factors_are_the_largest_contributions_in_stable_order(string model)
    {
        using var scorer = Scorer.Load(ModelFiles.Committed(model));
        var random = new Random(11);
        for (var n = 0; n < 200; n++)
        {
            var row = scorer.Metadata.Baseline!.ToArray();
            // Some features left at their baseline (no contribution), the rest moved.
            for (var f = 0; f < row.Length; f++)
                if (random.Next(3) > 0) row[f] = row[f] * (float)(random.NextDouble() * 3) + (float)random.NextDouble() * 50;
            var top = 1 + n % 5;
            Assert.Equal(ReferenceTopFactors(scorer, row, top), Explainer.TopFactors(scorer, row, top));
        }
    }

    /// <summary>Every factor's contribution, ordered by size with a stable sort: what the explainer must pick.</summary>
    private static List<Engine.Models.Contracts.Reason> ReferenceTopFactors(Scorer scorer, float[] row, int top)
    {
        var width = scorer.Width;
        var rows = new float[width * (width + 1)];
        for (var r = 0; r <= width; r++) row.CopyTo(rows.AsSpan(r * width, width));
        for (var f = 0; f < width; f++) rows[(f + 1) * width + f] = scorer.Metadata.Baseline![f];
        var probabilities = new float[width + 1];
        scorer.ScoreBatch(rows, probabilities);
        return Enumerable.Range(0, width)
            .Select(f => (f, contribution: probabilities[0] - probabilities[f + 1]))
            .Where(x => Math.Round(x.contribution, 6) != 0)
            .Select(x => new Engine.Models.Contracts.Reason(scorer.Metadata.Features[x.f], row[x.f], Math.Round(x.contribution, 6)))
            .OrderByDescending(r => Math.Abs(r.Contribution)).Take(top).ToList();
    }

    [Fact]
    public void A_factor_whose_contribution_rounds_to_zero_is_not_reported()
    {
        // The score, then with each feature at its baseline: a moves it by 0.01, b by ~3e-7 (0 to six decimals), c not at all.
        var probabilities = new[] { 0.5f, 0.49f, 0.5f - 3e-7f, 0.5f };

        var reasons = Explainer.Largest(["a", "b", "c"], [1f, 2f, 3f], probabilities, top: 3);

        Assert.Equal("a", Assert.Single(reasons).Factor); // before 2026-12-07 b followed, reported with contribution 0
    }
}
