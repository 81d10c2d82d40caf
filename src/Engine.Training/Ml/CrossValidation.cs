namespace Engine.Training.Ml;

/// <summary>K-fold out-of-fold predictions: every row scored by a model that never saw it.</summary>
public static class CrossValidation
{
    /// <summary>Seeded fold of each row: row i belongs to fold <c>result[i]</c> (folds differ in size by at most one).</summary>
    public static int[] FoldOf(int count, int k, int seed)
    {
        var fold = Enumerable.Range(0, count).Select(i => i % k).ToArray();
        new Random(seed).Shuffle(fold);
        return fold;
    }

    /// <summary>
    /// Calls <paramref name="fitPredict"/> once per fold with (training row indices, held-out row indices) and pools
    /// the scores it returns for the held-out rows.
    /// </summary>
    public static double[] OutOfFold(int count, int k, int seed, Func<int[], int[], double[]> fitPredict)
    {
        var fold = FoldOf(count, k, seed);
        var scores = new double[count];
        for (var f = 0; f < k; f++)
        {
            var train = Enumerable.Range(0, count).Where(i => fold[i] != f).ToArray();
            var heldOut = Enumerable.Range(0, count).Where(i => fold[i] == f).ToArray();
            var predicted = fitPredict(train, heldOut);
            if (predicted.Length != heldOut.Length) throw new InvalidOperationException($"fold {f}: {predicted.Length} scores for {heldOut.Length} rows");
            for (var j = 0; j < heldOut.Length; j++) scores[heldOut[j]] = predicted[j];
        }
        return scores;
    }
}
