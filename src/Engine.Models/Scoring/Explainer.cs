using System.Buffers;
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

        // Pooled: one explanation per emitted bid or alert, and the rows are width + 1 copies of the vector.
        var rows = ArrayPool<float>.Shared.Rent(width * (width + 1));
        var probabilities = ArrayPool<float>.Shared.Rent(width + 1);
        try
        {
            for (var r = 0; r <= width; r++) features.CopyTo(rows.AsSpan(r * width, width));
            for (var f = 0; f < width; f++) rows[(f + 1) * width + f] = baseline[f];
            scorer.ScoreBatch(rows, width + 1, probabilities);
            return Largest(names, features, probabilities, top);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
            ArrayPool<float>.Shared.Return(probabilities);
        }
    }

    /// <summary>
    /// The <paramref name="top"/> non-zero contributions by size, the earlier feature first on a tie (as a stable sort
    /// would order them), picked in place: no list of every factor, no sort.
    /// </summary>
    /// <remarks>Non-zero as reported (to 6 decimals): a difference of 3e-7 passed the filter before 2026-12-07 and was
    /// reported as a factor of contribution 0 (review).</remarks>
    internal static List<Reason> Largest(IReadOnlyList<string> names, ReadOnlySpan<float> features, float[] probabilities, int top)
    {
        var width = features.Length;
        Span<bool> taken = width <= 256 ? stackalloc bool[width] : new bool[width];
        var reasons = new List<Reason>(Math.Min(top, width));
        while (reasons.Count < top)
        {
            var best = -1;
            var bestSize = 0.0;
            for (var f = 0; f < width; f++)
            {
                var size = Math.Abs(Math.Round(probabilities[0] - probabilities[f + 1], 6));
                if (taken[f] || size == 0) continue;
                if (best < 0 || Comparer<double>.Default.Compare(size, bestSize) > 0) (best, bestSize) = (f, size);
            }
            if (best < 0) break;
            taken[best] = true;
            reasons.Add(new Reason(names[best], features[best], Math.Round(probabilities[0] - probabilities[best + 1], 6)));
        }
        return reasons;
    }
}
