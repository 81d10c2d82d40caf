using Engine.Training.Ml;

namespace Engine.Training.Tests;

public sealed class CrossValidationTests
{
    [Fact]
    public void Every_row_is_scored_once_by_a_model_that_did_not_train_on_it()
    {
        const int count = 103;
        var scoredBy = new int[count];
        var fold = 0;
        var scores = CrossValidation.OutOfFold(count, 5, seed: 7, (train, heldOut) =>
        {
            Assert.Empty(train.Intersect(heldOut));
            Assert.Equal(count, train.Length + heldOut.Length);
            Assert.InRange(heldOut.Length, count / 5, count / 5 + 1);
            foreach (var i in heldOut) scoredBy[i]++;
            var f = fold++;
            return heldOut.Select(_ => (double)f).ToArray();
        });

        Assert.All(scoredBy, n => Assert.Equal(1, n));
        Assert.Equal(5, scores.Distinct().Count());
    }

    [Fact]
    public void Folds_are_reproducible_from_the_seed_and_differ_across_seeds()
    {
        Assert.Equal(CrossValidation.FoldOf(200, 5, 1), CrossValidation.FoldOf(200, 5, 1));
        Assert.NotEqual(CrossValidation.FoldOf(200, 5, 1), CrossValidation.FoldOf(200, 5, 2));
    }

    [Fact]
    public void A_model_returning_the_wrong_number_of_scores_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CrossValidation.OutOfFold(10, 2, 1, (_, heldOut) => new double[heldOut.Length + 1]));
        Assert.Contains("6 scores for 5 rows", error.Message);
    }
}
