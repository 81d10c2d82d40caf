using Engine.Models.Scoring;

namespace Engine.Models.Tests.Scoring;

public sealed class BatchAndExplanationTests
{
    [Fact]
    public void A_batch_gives_the_same_probabilities_as_single_calls()
    {
        using var scorer = Scorer.Load(ModelFiles.Committed("churn"));
        var random = new Random(3);
        var rows = new float[50 * scorer.Width];
        for (var i = 0; i < rows.Length; i++) rows[i] = scorer.Metadata.Baseline![i % scorer.Width] * (float)(random.NextDouble() * 2) + (float)random.NextDouble() * 100;
        var batch = new float[50];
        scorer.ScoreBatch(rows, batch);
        for (var r = 0; r < 50; r++)
            Assert.Equal(scorer.Score(rows.AsSpan(r * scorer.Width, scorer.Width)).Probability, batch[r], 6);
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
}
