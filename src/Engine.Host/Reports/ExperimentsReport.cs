using Engine.Models.Experiments;
using Engine.Models.Experiments.Outcomes;

namespace Engine.Host.Reports;

/// <summary>What a shadow challenger did, per experiment and kind: how many scores it logged, how often it would have acted.</summary>
/// <param name="Users">Distinct users it would have acted for. For churn alerts the figure to read: a shadow alert is logged at
/// each check while the champion's episode stays armed, where the challenger would have alerted once (a review, 2026-12-07).</param>
public sealed record ShadowSummary(string Experiment, string Kind, long Logged, long WouldDecide, double? MeanScore, long Users = 0);

/// <summary><c>./engine report experiments</c>: live outcome rates per variant, and what shadow challengers logged.</summary>
public sealed record ExperimentsReport(ExperimentOutcomeReport Outcomes, IReadOnlyList<ShadowSummary> Shadow)
{
    public static ExperimentsReport From(TopicSnapshot snapshot, OutcomeWindows windows, DateTimeOffset? from) => new(
        OutcomeJoin.Run(snapshot.Clickstream, snapshot.Decisions, windows, from),
        snapshot.ShadowScores.GroupBy(s => (s.Experiment, s.Kind)).OrderBy(g => g.Key.Kind, StringComparer.Ordinal)
            .Select(g => new ShadowSummary(g.Key.Experiment, g.Key.Kind, g.Count(), g.Count(s => s.WouldDecide),
                g.Any(s => s.Score is not null) ? Math.Round(g.Where(s => s.Score is not null).Average(s => s.Score!.Value), 5) : null,
                g.Where(s => s.WouldDecide).Select(s => s.UserId).Distinct(StringComparer.Ordinal).LongCount()))
            .ToList());
}
