namespace Engine.Models.Recommendations;

/// <summary>
/// Knobs of <see cref="SessionRecommender"/>; the defaults are the values tuned on a validation split carved from the
/// end of the YooChoose training period (docs/models.md).
/// </summary>
public sealed record RecommenderOptions
{
    /// <summary>Neighbour sessions kept after ranking by similarity (VSKNN <c>k</c>).</summary>
    public int Neighbours { get; init; } = 50;
    /// <summary>Most recent candidate sessions considered (VSKNN <c>sample_size</c>).</summary>
    public int SampleSize { get; init; } = 1000;
    /// <summary>How much a matching item weighs by its position in the current session: later clicks count more.</summary>
    public PositionDecay PositionDecay { get; init; } = PositionDecay.Harmonic;
    /// <summary>Extra weight of rare items when matching sessions: <c>1 + IdfWeight * idf</c>.</summary>
    public double IdfWeight { get; init; } = 0.5;
    /// <summary>Weight of the sequential co-visitation scores relative to the neighbour scores (both scaled to a max of 1).</summary>
    public double RuleWeight { get; init; } = 0.25;
    /// <summary>How many of the session's last clicks feed the co-visitation scores, each weighted 1/(steps back).</summary>
    public int RuleHistory { get; init; } = 3;
    /// <summary>Bonus for re-offering an item already in the session (shoppers go back to what they looked at).</summary>
    public double SessionItemWeight { get; init; } = 0.3;
    /// <summary>Gap of co-visitation (clicks) and neighbours kept per item in the <see cref="CoVisitationIndex"/>.</summary>
    public int RuleWindow { get; init; } = 10;
    public int RuleNeighbours { get; init; } = 200;
    /// <summary>Candidates (best by blended score) the learned re-ranker scores, when there is one.</summary>
    public int RerankDepth { get; init; } = 100;
    /// <summary>
    /// Of those, the best by blended score that serving actually scores with the ranker (the list is taken from them). Each
    /// keeps the features it has in the full <see cref="RerankDepth"/> request (ranks, candidate count), so the ranker sees
    /// rows like those it was trained on. 40 is the depth that scored best on YooChoose validation (20/30/40/50/100 compared, docs/performance.md); 40 rows cost ~40% of the ONNX call over 100.
    /// </summary>
    public int RankedDepth { get; init; } = 40;
}

public enum PositionDecay
{
    /// <summary>Click i of n weighs i/n.</summary>
    Linear,
    /// <summary>Click i of n weighs 1/(n-i+1): the last click dominates.</summary>
    Harmonic,
}
