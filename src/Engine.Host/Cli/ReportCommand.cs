using Confluent.Kafka;
using System.CommandLine;
using System.Globalization;
using Engine.Host.Demo;
using Engine.Host.Reports;
using Engine.Models.Experiments;
using Engine.Models.Experiments.Outcomes;
using Spectre.Console;

namespace Engine.Host.Cli;

/// <summary><c>engine report experiments</c>: outcome rates per experiment variant, read from Kafka (or from an embedded run).</summary>
public static class ReportCommand
{
    public static Command Create() => new("report", "Reports computed from the engine's topics") { Experiments() };

    private static Command Experiments()
    {
        var kafka = PrivacyCliOptions.Kafka(); // default: Kafka__BootstrapServers, else localhost:9092, as erase and consent
        var embedded = new Option<bool>("--embedded") { Description = "Run the embedded Kafka, Redis, simulator and a node with the experiments on, then report on that run" };
        var mode = new Option<ExperimentMode>("--mode") { Description = "With --embedded: Split or Shadow", DefaultValueFactory = _ => ExperimentMode.Split };
        var share = new Option<double>("--share") { Description = "With --embedded: the challenger's share of users", DefaultValueFactory = _ => 0.5 };
        var events = new Option<long>("--events") { Description = "With --embedded: simulated events", DefaultValueFactory = _ => 200_000 };
        var users = new Option<int>("--users") { Description = "With --embedded: simulated users", DefaultValueFactory = _ => 5_000 };
        var from = new Option<string?>("--from") { Description = "Only decisions at or after this event time (ISO 8601, e.g. 2026-01-05T00:00Z)" };
        var click = new Option<double>("--click-minutes") { Description = "Click-through window after a recommendation or bid", DefaultValueFactory = _ => 30 };
        var conversion = new Option<double>("--conversion-hours") { Description = "Conversion window after a recommendation or ad click", DefaultValueFactory = _ => 24 };
        var followUp = new Option<double>("--churn-days") { Description = "Horizon in which an alerted user counts as returned", DefaultValueFactory = _ => 7 };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Also write experiments.json and experiments.md to this folder" };
        var command = new Command("experiments",
            "Per experiment variant: recommendation click-through and conversion, bid click-through and conversion, churn-alert follow-up,\n" +
            "with Wilson 95% intervals and the challenger-minus-champion difference (Newcombe 95% interval). Event time throughout.\n" +
            "Example: ./engine report experiments --embedded --events 100000 --out reports/")
        {
            kafka, embedded, mode, share, events, users, from, click, conversion, followUp, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            DateTimeOffset? since = null;
            if (parse.GetValue(from) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    Console.Error.WriteLine($"report: --from '{text}' is not a date and time (ISO 8601, e.g. 2026-01-05T00:00Z)");
                    return 2;
                }
                since = parsed;
            }
            var windows = new OutcomeWindows(TimeSpan.FromMinutes(parse.GetValue(click)), TimeSpan.FromHours(parse.GetValue(conversion)),
                TimeSpan.FromDays(parse.GetValue(followUp)));
            TopicSnapshot snapshot;
            try
            {
                snapshot = parse.GetValue(embedded)
                    ? await EmbeddedExperimentRun.RunAsync(new DemoOptions(Events: parse.GetValue(events), Users: parse.GetValue(users), MalformedShare: 0),
                        parse.GetValue(mode), parse.GetValue(share), Console.Out, ct)
                    : TopicSnapshot.Read(parse.GetValue(kafka)!, KafkaClientEnvironment.Read(), TimeSpan.FromMinutes(5), ct, KafkaClientEnvironment.Topics(), since);
            }
            catch (Exception e) when (e is TimeoutException or KafkaException && !parse.GetValue(embedded))
            {
                // Kafka stopped answering (or refused the client): one line and the exit code of a service not answering.
                Console.Error.WriteLine($"report: reading {parse.GetValue(kafka)} failed: {e.Message}");
                return 3;
            }
            var report = ExperimentsReport.From(snapshot, windows, since);
            ExperimentsReportOutput.Print(report, AnsiConsole.Console);
            if (parse.GetValue(output) is { } folder)
            {
                await ExperimentsReportOutput.WriteAsync(report, folder, ct);
                Console.WriteLine($"report: written to {Path.Combine(folder.FullName, "experiments.json")} and experiments.md");
            }
            return 0;
        });
        return command;
    }
}
