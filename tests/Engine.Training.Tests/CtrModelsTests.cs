using Engine.Training.Data;
using Engine.Training.Evaluation;
using Engine.Training.Ml;

namespace Engine.Training.Tests;

public sealed class CtrModelsTests
{
    /// <summary>Field 0 decides the click ("hot" clicks 80%, "cold" 10%); field 1 is noise; one numeric field.</summary>
    private static List<CtrSamples.Row> Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var hot = random.NextDouble() < 0.5;
            var clicked = random.NextDouble() < (hot ? 0.8 : 0.1);
            return new CtrSamples.Row(clicked, [random.Next(100)], [hot ? "hot" : "cold", $"n{random.Next(50)}"]);
        }).ToList();
    }

    private static readonly CtrSamples.Split Split = new([], [], ["I1"], ["C1", "C2"]);

    [Fact]
    public void Logistic_trees_and_factorization_machine_all_learn_the_field_that_decides_the_click()
    {
        var train = Rows(2000, 1);
        var test = Rows(500, 2);
        var labels = CtrModels.Labels(test);
        var lr = CtrModels.Logistic(train, test, new LogisticOptions(1e-4, 3, 0.05, 1), seed: 3);
        var trees = CtrModels.Trees(train, test, Split, new TreeOptions(50, 4, 20, 0.1), seed: 3);
        var fm = CtrModels.Factorization(train, test, new FactorizationOptions(4, 1e-4, 1.0, 3, 0.02, 1), seed: 3);

        Assert.InRange(Metrics.Auc(lr, labels), 0.8, 1.0);
        Assert.InRange(Metrics.Auc(trees, labels), 0.8, 1.0);
        Assert.InRange(Metrics.Auc(fm, labels), 0.8, 1.0);
        Assert.InRange(Metrics.Auc(new BlendWeights(0.25, 0.5, 0.25).Mix(lr, trees, fm), labels), 0.8, 1.0);
    }

    [Fact]
    public void Values_rarer_than_the_minimum_count_share_one_weight_with_unseen_values()
    {
        var train = Rows(1000, 1);
        train.Add(new CtrSamples.Row(true, [5], ["once", "n1"]));
        CtrSamples.Row Probe(string value) => new(false, [5], [value, "n1"]);
        var probes = new List<CtrSamples.Row> { Probe("once"), Probe("never") };

        var pooled = CtrModels.Logistic(train, probes, new LogisticOptions(1e-4, 3, 0.05, MinCount: 2), seed: 3);
        var own = CtrModels.Logistic(train, probes, new LogisticOptions(1e-4, 3, 0.05, MinCount: 1), seed: 3);

        Assert.Equal(pooled[0], pooled[1], 12);
        Assert.NotEqual(own[0], own[1], 6);
    }

    /// <summary>
    /// Clicks depend only on whether two fields agree in parity (80% when they do, 10% when not): each value alone
    /// clicks half the time, so a linear model has nothing to learn; the pair's rank-one pattern is what factors fit.
    /// </summary>
    private static List<CtrSamples.Row> Interaction(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var (a, b) = (random.Next(10), random.Next(10));
            var clicked = random.NextDouble() < (a % 2 == b % 2 ? 0.8 : 0.1);
            return new CtrSamples.Row(clicked, [], [$"a{a}", $"b{b}", $"n{random.Next(50)}"]);
        }).ToList();
    }

    [Fact]
    public void Factorization_machine_learns_an_interaction_the_logistic_regression_cannot()
    {
        var train = Interaction(3000, 1);
        var test = Interaction(1000, 2);
        var labels = CtrModels.Labels(test);
        var lr = CtrModels.Logistic(train, test, new LogisticOptions(1e-4, 5, 0.05, 1), seed: 3);
        var fm = CtrModels.Factorization(train, test, new FactorizationOptions(Factors: 4, L2: 1e-4, FactorL2: 1e-4, Epochs: 10, Rate: 0.05, MinCount: 1), seed: 3);

        Assert.InRange(Metrics.Auc(lr, labels), 0.4, 0.6);
        Assert.InRange(Metrics.Auc(fm, labels), 0.75, 1.0);
    }
}
