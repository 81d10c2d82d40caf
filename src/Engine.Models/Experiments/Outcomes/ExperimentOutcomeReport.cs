namespace Engine.Models.Experiments.Outcomes;

/// <summary>One outcome rate of one variant: e.g. recommendation click-through of the challenger, with its Wilson 95% interval.</summary>
public sealed record OutcomeRow(string Kind, string Outcome, string Variant, Proportion Rate);

/// <summary>A variant's rate minus the baseline's (the champion's), with Newcombe's 95% interval.</summary>
public sealed record VariantDifference(string Kind, string Outcome, string Baseline, string Variant, Difference Difference);

/// <summary>
/// What <c>./engine report experiments</c> found: outcome rates per decision kind, outcome and variant, and the
/// differences between variants.
/// </summary>
/// <param name="Events">Events at or after the report's start (<c>--from</c>; all read without it).</param>
/// <param name="Decisions">Distinct decisions (by decision id: replays count once) whose cause is at or after the start, or unknown.</param>
/// <param name="Unmatched">Decisions whose cause is not in the clickstream read, so their moment is unknown; left out.</param>
/// <param name="Censored">Churn alerts whose follow-up horizon runs past the end of the stream; left out.</param>
public sealed record ExperimentOutcomeReport(
    IReadOnlyList<OutcomeRow> Rows,
    IReadOnlyList<VariantDifference> Differences,
    long Events,
    long Decisions,
    long Unmatched,
    long Censored,
    DateTimeOffset? StreamStart,
    DateTimeOffset? StreamEnd,
    OutcomeWindows Windows);
