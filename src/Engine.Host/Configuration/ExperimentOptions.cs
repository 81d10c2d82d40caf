using System.ComponentModel.DataAnnotations;
using Engine.Models.Decisions;
using Engine.Models.Experiments;

namespace Engine.Host.Configuration;

/// <summary>
/// Section <c>Experiments</c>: one champion/challenger experiment per kind of decision, each in the same shape
/// (<see cref="DecisionExperimentOptions"/>), all off by default. Env: <c>Experiments__Bids__Mode=Split</c>.
/// Recommendations: the learned ranker against the same candidates in blended order. Bids: the CTR model recalibrated by
/// <see cref="DecisionExperimentOptions.CtrScale"/>. Churn: another alert threshold (<see cref="DecisionExperimentOptions.Threshold"/>).
/// </summary>
public sealed class ExperimentOptions : IValidatableObject
{
    public const string Section = "Experiments";

    public DecisionExperimentOptions Recommendations { get; set; } = new() { Name = "recs-ranker-vs-blend" };
    public DecisionExperimentOptions Bids { get; set; } = new() { Name = "bids-ctr-calibration" };
    public DecisionExperimentOptions Churn { get; set; } = new() { Name = "churn-threshold" };

    /// <summary>The recommendation experiment to run, or null when it is off.</summary>
    public Experiment? RecommendationExperiment() => Recommendations.Definition(ExperimentTarget.Recommendations);

    /// <summary>The bid experiment to run, or null when it is off.</summary>
    public BidExperiment? BidExperiment() => Bids.Definition(ExperimentTarget.Bids) is { } definition ? new(definition, Bids.CtrScale) : null;

    /// <summary>The churn-alert experiment to run, or null when it is off.</summary>
    public ChurnExperiment? ChurnExperiment() => Churn.Definition(ExperimentTarget.Churn) is { } definition
        ? new(definition, new ChurnAlertPolicy(Churn.Threshold, Math.Min(Churn.RearmBelow, Churn.Threshold)))
        : null;

    /// <summary>The nested sections' annotations (the binder validates one level), each named by its full setting.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        new[] { ("Recommendations", Recommendations), ("Bids", Bids), ("Churn", Churn) }.SelectMany(s => s.Item2.Problems(s.Item1));
}

/// <summary>One decision's experiment: <c>Experiments:{Recommendations|Bids|Churn}:{Mode|Name|ChallengerShare|...}</c>.</summary>
public sealed class DecisionExperimentOptions
{
    /// <summary>Unset: no experiment. <c>Shadow</c>: the challenger is scored and logged for its share, never acted on. <c>Split</c>: it decides for its share.</summary>
    public ExperimentMode? Mode { get; set; }

    /// <summary>Seeds the assignment: a new name reshuffles users; keep it while the experiment runs.</summary>
    public string Name { get; set; } = "";

    public double ChallengerShare { get; set; } = 0.5;

    /// <summary>Bids only: the challenger prices with the CTR model's prediction times this factor.</summary>
    public double CtrScale { get; set; } = 0.8;

    /// <summary>Churn only: the challenger's alert threshold, and the probability under which its episode re-arms.</summary>
    public double Threshold { get; set; } = 0.6;
    public double RearmBelow { get; set; } = 0.5;

    internal Experiment? Definition(ExperimentTarget target) =>
        Mode is { } mode ? Experiment.ChampionChallenger(Name, target, mode, ChallengerShare) : null;

    internal IEnumerable<ValidationResult> Problems(string kind)
    {
        var prefix = $"Experiments:{kind}:";
        if (string.IsNullOrWhiteSpace(Name))
            yield return new($"{prefix}Name must not be empty: it seeds the users' assignment to variants.", [kind + ":Name"]);
        if (ChallengerShare is < 0 or > 1 || double.IsNaN(ChallengerShare))
            yield return new($"{prefix}ChallengerShare must be between 0 and 1.", [kind + ":ChallengerShare"]);
        if (!(CtrScale > 0)) yield return new($"{prefix}CtrScale must be positive.", [kind + ":CtrScale"]);
        if (Threshold is < 0 or > 1 || double.IsNaN(Threshold)) yield return new($"{prefix}Threshold must be between 0 and 1.", [kind + ":Threshold"]);
        // A NaN re-arm level (it is min'ed with the threshold, and NaN wins) never re-armed a challenger's episode: one alert per user ever.
        if (RearmBelow is < 0 or > 1 || double.IsNaN(RearmBelow)) yield return new($"{prefix}RearmBelow must be between 0 and 1.", [kind + ":RearmBelow"]);
    }
}
