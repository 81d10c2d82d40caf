using Engine.Models.Decisions;

namespace Engine.Models.Experiments;

/// <summary>
/// A champion/challenger experiment on churn alerts: the same churn model with another alert policy (say, alerting at
/// 0.6 instead of 0.7: more alerts, earlier, at the cost of precision). In split mode a user's episode follows their arm's
/// policy; in shadow mode the challenger is asked on the champion's episode whether it would have alerted now.
/// </summary>
public sealed class ChurnExperiment
{
    public ChurnExperiment(Experiment definition, ChurnAlertPolicy challenger)
    {
        if (definition.ChampionChallengerProblem(ExperimentTarget.Churn) is { } problem) throw new ArgumentException(problem, nameof(definition));
        if (challenger.RearmBelow > challenger.Threshold)
            throw new ArgumentException("the challenger's re-arm level must not exceed its threshold", nameof(challenger));
        (Definition, Challenger) = (definition, challenger);
    }

    public Experiment Definition { get; }
    public ChurnAlertPolicy Challenger { get; }
}
