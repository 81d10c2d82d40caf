using Engine.Training.Ml;

namespace Engine.Training.Tests.Evaluation;

/// <summary>Out-of-fold target encoding: a training row never sees its own label.</summary>
public sealed class TargetEncoderTests
{
    [Fact]
    public void A_training_rows_encoding_does_not_move_when_only_its_own_label_is_flipped()
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 60).Select(_ => new[] { $"a{random.Next(3)}", $"b{random.Next(4)}" }).ToList();
        var labels = rows.Select(_ => random.NextDouble() < 0.3).ToArray();
        var encoded = TargetEncoder.EncodeOutOfFold(rows, labels, folds: 5, seed: 11);

        var othersMoved = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var flipped = (bool[])labels.Clone();
            flipped[i] = !flipped[i];
            var again = TargetEncoder.EncodeOutOfFold(rows, flipped, folds: 5, seed: 11);
            Assert.Equal(encoded[i], again[i]);
            othersMoved += Enumerable.Range(0, rows.Count).Count(j => j != i && !encoded[j].SequenceEqual(again[j]));
        }
        Assert.True(othersMoved > 0, "flipping a label moved no other row's rates: the test would not see a leak");
    }

    [Fact]
    public void A_training_rows_count_is_of_the_other_rows_as_a_scored_rows_is_of_the_training_rows()
    {
        var rows = Enumerable.Range(0, 50).Select(i => new[] { i < 20 ? $"once{i}" : $"thrice{i % 10}" }).ToList();
        var labels = rows.Select((_, i) => i % 4 == 0).ToArray();
        var encoded = TargetEncoder.EncodeOutOfFold(rows, labels, folds: 5, seed: 3);

        for (var i = 0; i < rows.Count; i++)
            Assert.Equal(rows.Count(r => r[0] == rows[i][0]) - 1, encoded[i][0]);
        // A row scored later counts the training rows holding its value: a value seen once reads 1 there, 0 in training.
        var encoder = TargetEncoder.Fit(rows, labels);
        Assert.Equal(1, encoder.Encode(["once0"])[0]);
        Assert.Equal(0, encoder.Encode(["never"])[0]);
    }
}
