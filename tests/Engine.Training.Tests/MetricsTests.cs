using Engine.Training.Ml;

namespace Engine.Training.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Auc_is_one_for_a_perfect_ranking_half_for_ties_and_zero_when_reversed()
    {
        bool[] labels = [false, false, true, true];
        Assert.Equal(1.0, Metrics.Auc(new double[] { 0.1, 0.2, 0.8, 0.9 }, labels));
        Assert.Equal(0.5, Metrics.Auc(new double[] { 0.5, 0.5, 0.5, 0.5 }, labels));
        Assert.Equal(0.0, Metrics.Auc(new double[] { 0.9, 0.8, 0.2, 0.1 }, labels));
        Assert.Equal(0.75, Metrics.Auc(new double[] { 0.1, 0.6, 0.5, 0.9 }, labels));
    }

    [Fact(Timeout = 10_000)]
    public async Task A_score_that_is_not_a_number_is_refused_not_looped_on()
    {
        // Before 2026-12-07 the tie walk never moved past a NaN: the run hung. Run off the test's thread so a hang fails on time.
        var auc = Task.Run(() => Metrics.Auc(new[] { double.NaN, 0.2, 0.7 }, new[] { true, false, true }));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => auc);
        Assert.Contains("score 0 of 3 is NaN", error.Message);
    }
}
