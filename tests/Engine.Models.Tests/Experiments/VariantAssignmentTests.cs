using Engine.Models.Experiments;

namespace Engine.Models.Tests.Experiments;

public sealed class VariantAssignmentTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.1)]
    [InlineData(0.02)]
    [InlineData(0.9)]
    public void The_split_of_100000_users_is_within_one_percent_of_the_configured_share(double challengerShare)
    {
        var experiment = Experiment.ChampionChallenger("ranker-v2", ExperimentTarget.Recommendations, ExperimentMode.Split, challengerShare);
        const int users = 100_000;
        var challengers = Enumerable.Range(0, users).Count(u => VariantAssignment.Assign(experiment, $"u-{u}").Name == "challenger");
        var share = challengers / (double)users;
        // Within 1% of the configured share, relative to all users (the bar); binomial noise at 100k is ~0.16% at most.
        Assert.InRange(share, challengerShare - 0.01, challengerShare + 0.01);
    }

    [Fact]
    public void A_user_keeps_their_variant_and_experiments_are_independent()
    {
        var a = Experiment.ChampionChallenger("a", ExperimentTarget.Bids, ExperimentMode.Split, 0.5);
        var b = Experiment.ChampionChallenger("b", ExperimentTarget.Bids, ExperimentMode.Split, 0.5);
        var ids = Enumerable.Range(0, 20_000).Select(u => $"u-{u}").ToList();
        Assert.All(ids.Take(100), id => Assert.Equal(VariantAssignment.Assign(a, id), VariantAssignment.Assign(a, id)));
        // Independent arms: about a quarter of users are challengers in both (a correlated hash would give ~half or ~none).
        var both = ids.Count(id => VariantAssignment.Assign(a, id).Name == "challenger" && VariantAssignment.Assign(b, id).Name == "challenger");
        Assert.InRange(both / (double)ids.Count, 0.23, 0.27);
    }

    [Fact]
    public void Three_arms_follow_their_shares()
    {
        var experiment = new Experiment("three", ExperimentTarget.Churn, ExperimentMode.Split,
            [new Variant("a", 0.6), new Variant("b", 0.3), new Variant("c", 0.1)]);
        var counts = Enumerable.Range(0, 100_000).GroupBy(u => VariantAssignment.Assign(experiment, $"user-{u}").Name)
            .ToDictionary(g => g.Key, g => g.Count() / 100_000.0);
        Assert.InRange(counts["a"], 0.59, 0.61);
        Assert.InRange(counts["b"], 0.29, 0.31);
        Assert.InRange(counts["c"], 0.09, 0.11);
    }

    [Theory]
    [InlineData("", "needs a name")]
    [InlineData("x", "add up to 1")]
    public void An_invalid_experiment_says_what_is_wrong(string name, string problem)
    {
        var experiment = new Experiment(name, ExperimentTarget.Bids, ExperimentMode.Split, [new Variant("a", 0.5), new Variant("b", 0.4)]);
        Assert.Contains(problem, experiment.Problem(), StringComparison.Ordinal);
    }
}
