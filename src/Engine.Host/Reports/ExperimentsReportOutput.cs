using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Engine.Host.Reports;

/// <summary>The experiments report as a console table, and as experiments.json and experiments.md in a folder.</summary>
public static class ExperimentsReportOutput
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static void Print(ExperimentsReport report, IAnsiConsole console)
    {
        var o = report.Outcomes;
        console.MarkupLine(Markup.Escape(Header(report)));
        var rates = new Table().AddColumns("decision", "outcome", "variant", "successes / trials", "rate", "95% CI (Wilson)");
        foreach (var r in o.Rows)
            rates.AddRow(r.Kind, r.Outcome, r.Variant, $"{r.Rate.Successes:N0} / {r.Rate.Trials:N0}", Pct(r.Rate.Rate), $"{Pct(r.Rate.Low)} .. {Pct(r.Rate.High)}");
        console.Write(rates);
        if (o.Differences.Count > 0)
        {
            var diffs = new Table().AddColumns("decision", "outcome", "variant - baseline", "difference", "95% CI (Newcombe)");
            foreach (var d in o.Differences)
                diffs.AddRow(d.Kind, d.Outcome, $"{d.Variant} - {d.Baseline}", Points(d.Difference.Value), $"{Points(d.Difference.Low)} .. {Points(d.Difference.High)}");
            console.Write(diffs);
        }
        foreach (var s in report.Shadow)
            console.MarkupLine(Markup.Escape(ShadowLine(s)));
    }

    public static async Task WriteAsync(ExperimentsReport report, DirectoryInfo folder, CancellationToken cancellationToken)
    {
        folder.Create();
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "experiments.json"), JsonSerializer.Serialize(report, Json), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder.FullName, "experiments.md"), Markdown(report), cancellationToken);
    }

    public static string Markdown(ExperimentsReport report)
    {
        var md = new StringBuilder("# Experiments\n\n").AppendLine(Header(report)).AppendLine();
        md.AppendLine("| decision | outcome | variant | successes / trials | rate | 95% CI (Wilson) |").AppendLine("|---|---|---|---:|---:|---|");
        foreach (var r in report.Outcomes.Rows)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Kind} | {r.Outcome} | {r.Variant} | {r.Rate.Successes} / {r.Rate.Trials} | {Pct(r.Rate.Rate)} | {Pct(r.Rate.Low)} .. {Pct(r.Rate.High)} |");
        if (report.Outcomes.Differences.Count > 0)
        {
            md.AppendLine().AppendLine("| decision | outcome | variant - baseline | difference | 95% CI (Newcombe) |").AppendLine("|---|---|---|---:|---|");
            foreach (var d in report.Outcomes.Differences)
                md.AppendLine(CultureInfo.InvariantCulture, $"| {d.Kind} | {d.Outcome} | {d.Variant} - {d.Baseline} | {Points(d.Difference.Value)} | {Points(d.Difference.Low)} .. {Points(d.Difference.High)} |");
        }
        if (report.Shadow.Count > 0) md.AppendLine();
        foreach (var s in report.Shadow) md.AppendLine("- " + ShadowLine(s));
        return md.ToString();
    }

    private static string Header(ExperimentsReport report)
    {
        var o = report.Outcomes;
        return string.Create(CultureInfo.InvariantCulture,
            $"{o.Events:N0} events ({o.StreamStart:yyyy-MM-dd HH:mm} .. {o.StreamEnd:yyyy-MM-dd HH:mm} event time), {o.Decisions:N0} decisions " +
            $"({o.Unmatched:N0} without their cause in the stream, {o.Censored:N0} churn alerts too recent to follow up); windows: click " +
            $"{o.Windows.Click.TotalMinutes:0} min, conversion {o.Windows.Conversion.TotalHours:0} h, churn follow-up {o.Windows.ChurnFollowUp.TotalDays:0} d");
    }

    private static string ShadowLine(ShadowSummary s) => string.Create(CultureInfo.InvariantCulture,
        $"shadow {s.Kind} ({s.Experiment}): {s.Logged:N0} scores logged to engine.shadow-scores, never emitted; would have acted on {s.WouldDecide:N0} (for {s.Users:N0} users{(s.Kind == "churn_alert" ? ": logged at each check while the champion stays armed, so read the users" : "")}){(s.MeanScore is { } m ? $", mean score {m.ToString("0.0000", CultureInfo.InvariantCulture)}" : "")}");

    private static string Pct(double rate) => (rate * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Points(double difference) => (difference * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " pt";
}
