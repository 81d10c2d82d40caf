using System.Globalization;
using Engine.Models.Contracts;

namespace Engine.Models.Experiments.Outcomes;

/// <summary>
/// Joins decisions with what their users did next, per variant. A decision's moment is its cause's event time (the
/// clickstream's clock: decisions carry a wall-clock time, which a replay or a fast simulator makes meaningless), or the
/// sweep's time for an alert raised on silence. Outcomes (windows in <see cref="OutcomeWindows"/>):
/// recommendation click_through (a view, cart or purchase of a recommended item) and conversion (a purchase of one);
/// bid click_through (an ad click on the bid's campaign, for placed bids) and conversion (a purchase after that click);
/// churn_alert follow_up (any event of the user within the horizon).
/// </summary>
public static class OutcomeJoin
{
    public const string Recommendation = "recommendation", Bid = "bid", ChurnAlert = "churn_alert";
    public const string ClickThrough = "click_through", Conversion = "conversion", FollowUp = "follow_up";
    /// <summary>The variant of decisions made outside any experiment.</summary>
    public const string NoVariant = "none";

    public static ExperimentOutcomeReport Run(IEnumerable<ClickEvent> clickstream, IEnumerable<IDecision> decisions, OutcomeWindows windows,
        DateTimeOffset? from = null)
    {
        var moments = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var users = new Dictionary<string, UserTimeline>(StringComparer.Ordinal);
        DateTimeOffset? start = null, end = null;
        long events = 0;
        foreach (var evt in clickstream)
        {
            moments[evt.EventId] = evt.EventTime; // every event read: an earlier one may be a decision's cause, or its outcome
            if (!users.TryGetValue(evt.UserId, out var timeline)) users[evt.UserId] = timeline = new UserTimeline();
            timeline.Add(evt);
            if (end is null || evt.EventTime > end) end = evt.EventTime;
            // The header counts what is in scope (at or after from): before 2026-12-07 also the hour read before it (a review).
            if (evt.EventTime < from) continue;
            events++;
            if (start is null || evt.EventTime < start) start = evt.EventTime;
        }

        var tallies = new Dictionary<(string Kind, string Outcome, string Variant), (long Successes, long Trials)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long unmatched = 0, censored = 0, inScope = 0;
        foreach (var decision in decisions)
        {
            if (!seen.Add(decision.DecisionId)) continue;
            var moment = Moment(decision, moments);
            if (moment < from) continue;
            inScope++;
            if (moment is not { } at) { unmatched++; continue; }
            var variant = decision.Variant ?? NoVariant;
            var timeline = users.GetValueOrDefault(UserOf(decision) ?? "") ?? new UserTimeline();
            switch (decision)
            {
                case Contracts.Recommendation r:
                    var items = r.Items.Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);
                    Count(Recommendation, ClickThrough, variant, timeline.Between(at, windows.Click).Any(e => IsEngagement(e) && items.Contains(e.ItemId!)));
                    Count(Recommendation, Conversion, variant, timeline.Between(at, windows.Conversion).Any(e => e.Type == EventType.Purchase && items.Contains(e.ItemId!)));
                    break;
                case BidDecision { Bid: true } b:
                    var click = timeline.Between(at, windows.Click).FirstOrDefault(e => e.Type == EventType.AdClick && e.CampaignId == b.CampaignId);
                    Count(Bid, ClickThrough, variant, click is not null);
                    Count(Bid, Conversion, variant, click is not null && timeline.Between(click.EventTime, windows.Conversion).Any(e => e.Type == EventType.Purchase));
                    break;
                case Contracts.ChurnAlert:
                    if (end is null || at + windows.ChurnFollowUp > end) { censored++; break; }
                    Count(ChurnAlert, FollowUp, variant, timeline.Between(at, windows.ChurnFollowUp).Any());
                    break;
            }
        }

        var rows = tallies.OrderBy(t => t.Key.Kind, StringComparer.Ordinal).ThenBy(t => t.Key.Outcome, StringComparer.Ordinal)
            .ThenBy(t => t.Key.Variant, StringComparer.Ordinal)
            .Select(t => new OutcomeRow(t.Key.Kind, t.Key.Outcome, t.Key.Variant, Proportion.Of(t.Value.Successes, t.Value.Trials))).ToList();
        return new ExperimentOutcomeReport(rows, Differences(rows), events, inScope, unmatched, censored, start, end, windows);

        void Count(string kind, string outcome, string variant, bool success)
        {
            var (s, n) = tallies.GetValueOrDefault((kind, outcome, variant));
            tallies[(kind, outcome, variant)] = (s + (success ? 1 : 0), n + 1);
        }
    }

    /// <summary>Every variant against the champion (or, without one, the first variant by name), outcome by outcome.</summary>
    private static List<VariantDifference> Differences(List<OutcomeRow> rows) =>
        rows.Where(r => r.Variant != NoVariant).GroupBy(r => (r.Kind, r.Outcome)).SelectMany(g =>
        {
            var baseline = g.FirstOrDefault(r => r.Variant == "champion") ?? g.First();
            return g.Where(r => !ReferenceEquals(r, baseline))
                .Select(r => new VariantDifference(g.Key.Kind, g.Key.Outcome, baseline.Variant, r.Variant, Difference.Between(baseline.Rate, r.Rate)));
        }).ToList();

    private static bool IsEngagement(ClickEvent e) =>
        e.Type is EventType.ProductView or EventType.AddToCart or EventType.Purchase && e.ItemId is not null;

    private static string? UserOf(IDecision decision) => decision switch
    {
        Contracts.Recommendation r => r.UserId,
        BidDecision b => b.UserId,
        Contracts.ChurnAlert c => c.UserId,
        _ => null,
    };

    /// <summary>The cause's event time; for an alert raised by the churn sweeper (<c>sweep:partition:ms</c>), the sweep's event time.</summary>
    private static DateTimeOffset? Moment(IDecision decision, Dictionary<string, DateTimeOffset> moments)
    {
        if (moments.TryGetValue(decision.CausedBy, out var at)) return at;
        if (decision.CausedBy.StartsWith("sweep:", StringComparison.Ordinal)
            && long.TryParse(decision.CausedBy[(decision.CausedBy.LastIndexOf(':') + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms))
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return decision is Contracts.ChurnAlert { LastEventAt: { } last } ? last : null;
    }
}
