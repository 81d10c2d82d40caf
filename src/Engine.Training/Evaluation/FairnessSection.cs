using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Models.Fairness;

namespace Engine.Training.Evaluation;

/// <summary>The simulator's fairness figures in evaluation.json (<c>simulator.fairness</c>) and evaluation.md.</summary>
public static class FairnessSection
{
    public static JsonObject Json(SimulatedFairness.Result f) => new()
    {
        ["events"] = f.Events,
        ["models"] = f.Models,
        ["min_disparity_ratio"] = f.Report.MinDisparityRatio,
        ["warnings"] = new JsonArray(f.Report.Warnings.Select(d => (JsonNode?)$"{Kind(d.Kind)} by {d.Dimension}: {d.DisparityRatio:0.000}").ToArray()),
        ["dimensions"] = new JsonArray(f.Report.Dimensions.Select(d => (JsonNode?)new JsonObject
        {
            ["kind"] = Kind(d.Kind),
            ["dimension"] = d.Dimension,
            ["disparity_ratio"] = d.DisparityRatio is { } r ? Math.Round(r, 4) : null,
            ["flagged"] = d.Flagged,
            ["segments"] = new JsonArray(d.Segments.Select(s => (JsonNode?)new JsonObject
            {
                ["segment"] = s.Segment, ["opportunities"] = s.Opportunities, ["decisions"] = s.Decisions, ["rate"] = Math.Round(s.Rate, 4),
                ["mean_score"] = s.MeanScore, ["p10"] = s.Quantiles?.P10, ["p50"] = s.Quantiles?.P50, ["p90"] = s.Quantiles?.P90,
            }).ToArray()),
        }).ToArray()),
    };

    public static void Markdown(StringBuilder md, SimulatedFairness.Result f)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"### Fairness of the decisions ({f.Events:N0} simulated events decided by the committed models: {f.Models})").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Rate = decisions over chances to decide (a list after a page event, a bid placed on a bid request, a churn alert on an event: alerts on silence come from the node's sweeper, which this replay does not run); scores: top item score, predicted CTR of the bid, churn probability (quantiles to 0.001). Disparity ratio = lowest segment rate over highest, among segments with at least {f.MinOpportunities} chances, when the highest rests on at least 10 decisions; under {f.Report.MinDisparityRatio:0.00} it is flagged.").AppendLine();
        md.AppendLine("| decision | dimension | segment | chances | decisions | rate | mean score | p10 / p50 / p90 | disparity ratio |").AppendLine("|---|---|---|---:|---:|---:|---:|---|---|");
        foreach (var d in f.Report.Dimensions)
        {
            var ratio = d.DisparityRatio is { } r ? r.ToString("0.000", CultureInfo.InvariantCulture) + (d.Flagged ? " **under the line**" : "") : "n/a";
            foreach (var s in d.Segments)
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {Kind(d.Kind)} | {d.Dimension} | {s.Segment} | {s.Opportunities:N0} | {s.Decisions:N0} | {s.Rate:P2} | {s.MeanScore?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "-"} | {Quantiles(s.Quantiles)} | {ratio} |");
        }
        var warnings = f.Report.Warnings.ToList();
        md.AppendLine().AppendLine(warnings.Count == 0
            ? "No dimension under the disparity ratio."
            : "Under the disparity ratio: " + string.Join("; ", warnings.Select(d => $"{Kind(d.Kind)} by {d.Dimension} ({d.DisparityRatio:0.000})")) + ".").AppendLine();
    }

    private static string Quantiles(ScoreQuantiles? q) =>
        q is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{q.P10:0.000} / {q.P50:0.000} / {q.P90:0.000}");

    private static string Kind(DecisionKind kind) => kind switch
    {
        DecisionKind.Recommendation => "recommendation",
        DecisionKind.Bid => "bid",
        _ => "churn_alert",
    };
}
