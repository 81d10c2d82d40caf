using System.Globalization;
using Engine.Models.Decisions;

namespace Engine.Models.Experiments;

/// <summary>
/// A champion/challenger experiment on bids: the challenger prices with the same CTR model recalibrated by
/// <see cref="CtrScale"/> (a model that over-predicts clicks bids too high; 0.8 tests bidding 20% more cautiously).
/// Recalibrating reuses the champion's scores, so the challenger costs a second pricing, not a second model call.
/// </summary>
public sealed class BidExperiment
{
    public BidExperiment(Experiment definition, double ctrScale)
    {
        if (definition.ChampionChallengerProblem(ExperimentTarget.Bids) is { } problem) throw new ArgumentException(problem, nameof(definition));
        if (!(ctrScale > 0)) throw new ArgumentOutOfRangeException(nameof(ctrScale), ctrScale, "the challenger's CTR scale must be positive");
        (Definition, CtrScale) = (definition, ctrScale);
    }

    public Experiment Definition { get; }
    public double CtrScale { get; }

    /// <summary>The challenger's model version as decisions and shadow scores name it.</summary>
    public string ChallengerVersion(string championVersion) =>
        championVersion + "+ctr-x" + CtrScale.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The champion's candidates as the challenger sees them.</summary>
    public List<BidCandidate> Recalibrate(IReadOnlyList<BidCandidate> candidates) =>
        candidates.Select(c => c with { PredictedCtr = Math.Min(1, c.PredictedCtr * CtrScale) }).ToList();
}
