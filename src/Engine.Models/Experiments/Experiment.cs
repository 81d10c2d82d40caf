namespace Engine.Models.Experiments;

/// <summary>Which decision an experiment varies.</summary>
public enum ExperimentTarget { Recommendations, Bids, Churn }

/// <summary>
/// How a challenger runs: <see cref="Shadow"/> scores every user with the challenger too and logs it, but the champion
/// still decides for everyone; <see cref="Split"/> lets the challenger decide for its share of users.
/// </summary>
public enum ExperimentMode { Shadow, Split }

/// <summary>One arm of an experiment: its name as stamped on decisions, and its share of users.</summary>
public sealed record Variant(string Name, double Share);

/// <summary>
/// A controlled experiment on one kind of decision. Users are assigned by <see cref="VariantAssignment"/>, so the same
/// user lands in the same arm on every node and after every restart, and arms of different experiments are independent.
/// </summary>
public sealed record Experiment(string Name, ExperimentTarget Target, ExperimentMode Mode, IReadOnlyList<Variant> Variants)
{
    /// <summary>A champion/challenger experiment: the challenger gets <paramref name="challengerShare"/> of users.</summary>
    public static Experiment ChampionChallenger(string name, ExperimentTarget target, ExperimentMode mode, double challengerShare) =>
        new(name, target, mode, [new Variant("champion", 1 - challengerShare), new Variant("challenger", challengerShare)]);

    /// <summary>The user's arm in a champion/challenger experiment: the first variant is the champion, the second the challenger.</summary>
    public (Variant Variant, bool IsChallenger) Arm(string userId)
    {
        var variant = VariantAssignment.Assign(this, userId);
        return (variant, Variants.Count > 1 && ReferenceEquals(variant, Variants[1]));
    }

    /// <summary>The name a decision carries: in shadow mode the champion decides for everyone, so every decision names it.</summary>
    public string DecidingVariant((Variant Variant, bool IsChallenger) arm) =>
        Mode == ExperimentMode.Shadow ? Variants[0].Name : arm.Variant.Name;

    /// <summary>Names the problem when this is not a two-arm experiment on <paramref name="target"/>, or null when it is.</summary>
    public string? ChampionChallengerProblem(ExperimentTarget target) =>
        Problem() ?? (Target != target ? $"experiment '{Name}' targets {Target}, not {target}"
            : Variants.Count != 2 ? $"experiment '{Name}' must have exactly two variants: champion and challenger" : null);

    /// <summary>Names the first problem with this experiment, or null when it is valid.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Name)) return "an experiment needs a name (it seeds the assignment)";
        if (Variants.Count < 2) return $"experiment '{Name}' needs at least two variants";
        if (Variants.Any(v => v.Share is < 0 or > 1 || double.IsNaN(v.Share))) return $"experiment '{Name}': every share must lie in [0, 1]";
        if (Math.Abs(Variants.Sum(v => v.Share) - 1) > 1e-9) return $"experiment '{Name}': variant shares must add up to 1 (they add up to {Variants.Sum(v => v.Share)})";
        if (Variants.Select(v => v.Name).Distinct(StringComparer.Ordinal).Count() != Variants.Count) return $"experiment '{Name}': variant names must be distinct";
        return null;
    }
}
