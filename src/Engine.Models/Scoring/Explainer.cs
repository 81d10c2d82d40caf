using Engine.Models.Contracts;

namespace Engine.Models.Scoring;

/// <summary>
/// Top factors behind one score, by occlusion: each feature in turn is set back to its baseline (the training
/// median, from model.json) and the drop in probability is that feature's contribution. One batched ORT call of
/// <c>features</c> rows, so it costs about as much as scoring that many rows; call it when a decision is emitted, not per bid.
/// Interactions are not split out: contributions need not sum to the score minus the baseline score.
/// </summary>
public static class Explainer
{
    public static IReadOnlyList<Reason> TopFactors(Scorer scorer, ReadOnlySpan<float> features, int top = 3)
    {
        var names = scorer.Metadata.Features;
        var baseline = scorer.Metadata.Baseline;
        var width = scorer.Width;
        if (baseline is null || features.Length != width) return [];

        var rows = new float[width * (width + 1)];
        for (var r = 0; r <= width; r++) features.CopyTo(rows.AsSpan(r * width, width));
        for (var f = 0; f < width; f++) rows[(f + 1) * width + f] = baseline[f];
        var probabilities = new float[width + 1];
        scorer.ScoreBatch(rows, probabilities);

        var reasons = new List<Reason>(width);
        for (var f = 0; f < width; f++)
        {
            var contribution = probabilities[0] - probabilities[f + 1];
            if (contribution != 0) reasons.Add(new Reason(names[f], features[f], Math.Round(contribution, 6)));
        }
        return reasons.OrderByDescending(r => Math.Abs(r.Contribution)).Take(top).ToList();
    }
}
