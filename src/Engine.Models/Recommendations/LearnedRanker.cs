using Engine.Models.Scoring;

namespace Engine.Models.Recommendations;

/// <summary>
/// The final stage of the recommendation path: a binary classifier (trained on "is this candidate the next click")
/// scored in ONNX, one batched call per request over all candidates. Thread-safe (the <see cref="Scorer"/> is).
/// </summary>
public sealed class LearnedRanker : IDisposable
{
    private readonly Scorer _scorer;

    public LearnedRanker(Scorer scorer)
    {
        if (!scorer.Metadata.Features.SequenceEqual(CandidateFeatures.Names))
            throw new ModelLoadException($"Model {scorer.Metadata.Name} {scorer.Version} is not a recommendation re-ranker: it expects [{string.Join(", ", scorer.Metadata.Features)}].");
        _scorer = scorer;
    }

    /// <summary>Opens <c>model.onnx</c> + <c>model.json</c> of a re-ranker (e.g. <c>models/recs/model.onnx</c>).</summary>
    public static LearnedRanker Load(string modelPath) => new(Scorer.Load(modelPath, CandidateFeatures.Names));

    public string Version => _scorer.Version;

    /// <summary>Its <c>model.json</c>, as loaded with it.</summary>
    public Engine.Models.Scoring.ModelMetadata Metadata => _scorer.Metadata;

    /// <summary>Probability that each candidate is the next click, in the order given.</summary>
    public float[] Score(IReadOnlyList<RankingCandidate> candidates)
    {
        var probabilities = new float[candidates.Count];
        Score(candidates.ToArray(), candidates.Count, new float[candidates.Count * CandidateFeatures.Width], probabilities);
        return probabilities;
    }

    /// <summary>
    /// Scores <paramref name="candidates"/> (the first of a request of <paramref name="requestCandidates"/>) into
    /// <paramref name="probabilities"/>, building the rows in <paramref name="rows"/>: buffers the caller reuses.
    /// </summary>
    internal void Score(ReadOnlySpan<RankingCandidate> candidates, int requestCandidates, float[] rows, float[] probabilities)
    {
        var width = CandidateFeatures.Width;
        for (var i = 0; i < candidates.Length; i++)
            CandidateFeatures.Fill(candidates[i], requestCandidates, rows.AsSpan(i * width, width));
        if (candidates.Length > 0) _scorer.ScoreBatch(rows, candidates.Length, probabilities);
    }

    public void Dispose() => _scorer.Dispose();
}
