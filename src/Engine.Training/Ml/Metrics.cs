namespace Engine.Training.Ml;

/// <summary>Ranking metrics computed here rather than by ML.NET, so every figure in the report is measured the same way.</summary>
public static class Metrics
{
    /// <summary>Area under the ROC curve (Mann-Whitney, ties count half). A score that is not a number has no rank: refused.</summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        // NaN equals nothing, itself included, so the tie walk below would never move past it (a hang, not an error).
        for (var i = 0; i < scores.Count; i++)
            if (double.IsNaN(scores[i])) throw new ArgumentException($"score {i} of {scores.Count} is NaN: the model or its inputs produced it", nameof(scores));
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSumPositives = 0;
        long positives = 0;
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j < order.Length && scores[order[j]] == scores[order[i]]) j++;
            var midRank = (i + j + 1) / 2.0; // ranks i+1..j share their mean
            for (var k = i; k < j; k++)
                if (labels[order[k]]) { rankSumPositives += midRank; positives++; }
            i = j;
        }
        var negatives = scores.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (rankSumPositives - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    public static double Auc(IReadOnlyList<float> scores, IReadOnlyList<bool> labels) =>
        Auc(scores.Select(s => (double)s).ToArray(), labels);

    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (var i = 0; i < a.Count; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
