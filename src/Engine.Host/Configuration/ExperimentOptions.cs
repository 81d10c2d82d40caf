using System.ComponentModel.DataAnnotations;
using Engine.Models.Experiments;

namespace Engine.Host.Configuration;

/// <summary>
/// Section <c>Experiments</c>: a champion/challenger experiment on recommendations (the learned ranker against the same
/// candidates in blended order). Off by default. Env: <c>Experiments__Recommendations__Mode=Split</c>.
/// </summary>
public sealed class ExperimentOptions : IValidatableObject
{
    public const string Section = "Experiments";

    public RecommendationExperimentOptions Recommendations { get; set; } = new();

    /// <summary>The experiment to run, or null when it is off.</summary>
    public Experiment? RecommendationExperiment() => Recommendations.Mode is { } mode
        ? Experiment.ChampionChallenger(Recommendations.Name, ExperimentTarget.Recommendations, mode, Recommendations.ChallengerShare)
        : null;

    /// <summary>The nested section's annotations (the binder validates one level), named by their full setting.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(Recommendations, new ValidationContext(Recommendations), results, validateAllProperties: true);
        return results.Select(r => new ValidationResult(r.ErrorMessage, r.MemberNames.Select(m => "Recommendations:" + m)));
    }
}

public sealed class RecommendationExperimentOptions
{
    /// <summary>Unset: no experiment. <c>Shadow</c>: the challenger is scored for its share, never served. <c>Split</c>: it serves its share.</summary>
    public ExperimentMode? Mode { get; set; }

    /// <summary>Seeds the assignment: a new name reshuffles users; keep it while the experiment runs.</summary>
    [Required(ErrorMessage = "Experiments:Recommendations:Name must not be empty: it seeds the users' assignment to variants.")]
    public string Name { get; set; } = "recs-ranker-vs-blend";

    [Range(0.0, 1.0, ErrorMessage = "Experiments:Recommendations:ChallengerShare must be between 0 and 1.")]
    public double ChallengerShare { get; set; } = 0.5;
}
