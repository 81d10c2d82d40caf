using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Engine.Actors.Campaigns;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;
using Engine.Host.Configuration;
using Engine.Models.Decisions;
using Engine.Host.Node;
using Engine.Host.Telemetry;
using Engine.Host.Web;

namespace Engine.Host.Demo;

/// <summary>
/// <c>./engine demo</c>: the embedded Kafka and Garnet, the simulator producing into Kafka, and the engine's
/// pipeline consuming it live (or the Kafka and Redis given by address), with a line of counts every second and a summary at the end.
/// </summary>
public static class DemoRunner
{
    public static async Task<int> RunAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        if (options.KafkaAddress is { } given) await DemoIsolation.RefuseKafkaReadByNodesAsync(given);
        await using var infrastructure = await Infrastructure.StartAsync(options.KafkaAddress, options.RedisAddress, options.Partitions);
        Console.WriteLine($"demo: {infrastructure.Describe()}; {options.Partitions} partitions per topic");
        var kafka = infrastructure.KafkaBootstrap;

        var run = Guid.NewGuid().ToString("N");
        var modelsDirectory = DemoModels.FindDirectory(options.ModelsDirectory);
        var models = DemoModels.Load(modelsDirectory);
        // The real path: campaigns are booked on their topic, and the node's campaign feed reads them back.
        await CampaignBookings.PublishAsync(kafka, DemoModels.CampaignSpecs(options));
        Console.WriteLine($"demo: models churn {models.Churn.Version}, bid {models.Bid.Version}, recommendations {models.RecommenderVersion}");
        var settings = DemoIsolation.Apply(new EngineNodeSettings(kafka, infrastructure.RedisEndpoint, modelsDirectory,
            options.Partitions, new ClusterSettings(), KafkaClient: infrastructure.KafkaClientTuning,
            GcPacing: infrastructure.GcPacing(),
            // At full speed the demo replays the simulation faster than real time: its backlog is the replay's, and no exchange
            // waits on the requests, so a bid's tmax runs from the node's intake. At a fixed rate (--rate) it is live: from Kafka.
            TmaxFromIntake: options.Rate == 0), givenKafka: options.KafkaAddress is not null, givenRedis: options.RedisAddress is not null, run);
        await using var http = options.HttpPort < 0 ? null : await NodeHttp.StartAsync(new HttpOptions { Host = "127.0.0.1", Port = options.HttpPort == HttpOptions.DefaultPort ? null : options.HttpPort },
            EngineConfiguration.Build(null, new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" }), settings);
        if (http is not null) Console.WriteLine($"demo: live page at {http.Url} (also /metrics, /healthz, /readyz)");
        await using var node = await EngineNode.StartAsync(settings, models, new CampaignCatalog(), new CampaignBoard(), cancellationToken);
        infrastructure.KeepOnlyUncommitted(settings.InputGroups); // embedded broker only: its fetches walk the whole log
        http?.Attach(node);
        var (counters, decisions) = (node.UserCounters, node.Decisions);

        var producer = new SimulatedProducer(kafka, Topics.Clickstream, options, () => counters.Consumed);
        var clock = Stopwatch.StartNew();
        var shown = new IDecision?[4];
        var recent = new RecentLatency(decisions.LatencyMicros);
        var producing = Task.Run(() => producer.RunAsync(cancellationToken, until: node.Completion), CancellationToken.None);
        using var lag = new ConsumerLagProbe(kafka, settings.KafkaClient ?? new Dictionary<string, string>(),
            settings.InputGroups.Where(g => g.Topic == Topics.Clickstream));
        Console.WriteLine($"demo: simulating {options.Events:N0} events from {options.Users:N0} users and {options.Campaigns} campaigns" +
                          (options.Rate > 0 ? $" at {options.Rate:N0}/s" : " at full speed"));
        var done = false;
        Stopwatch? caughtUp = null;
        var (lastConsumed, sinceProgress) = (-1L, Stopwatch.StartNew());
        while (!cancellationToken.IsCancellationRequested && !done)
        {
            await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(1), cancellationToken), node.Completion);
            if (node.Completion.IsCompleted) break;
            Report(clock.Elapsed, producer.Produced, counters, decisions, recent.Sample().P99Ms);
            ShowNewDecisions(decisions, shown);
            // Events wait and none is read: the engine is stuck (Redis refusing every flush, a stream that cannot start). Before
            // 2026-12-07 the demo waited for ever (a review): a scripted run hung until its job's timeout, with no error.
            // Against what Kafka acknowledged: a broker away holds the events handed to it, and that is not the engine's stall.
            if (counters.Consumed != lastConsumed || counters.Consumed >= producer.Delivered)
            {
                lastConsumed = counters.Consumed;
                sinceProgress.Restart();
            }
            else if (sinceProgress.Elapsed >= StallLimit)
            {
                Console.Error.WriteLine($"demo: no event read for {StallLimit.TotalSeconds:F0} s with {producer.Delivered - counters.Consumed:N0} in Kafka waiting " +
                                        $"({counters.FlushRetries:N0} Redis flush retries so far): the engine is stuck; the log above says on what. Stopping");
                break;
            }
            if (!producing.IsCompleted) continue;
            if (producer.Failed > 0) break; // Kafka refused the stream: said below, exit 1
            if (counters.Consumed < producer.Produced) continue;
            // Done once every event is committed: the count of records read alone counts a restarted stream's replay twice,
            // and before 2026-12-07 the demo could stop before its last events were read (a review).
            caughtUp ??= Stopwatch.StartNew();
            done = await Task.Run(lag.AllCommitted);
            if (done || caughtUp.Elapsed < CommitWait) continue;
            Console.Error.WriteLine($"demo: the engine read every event, but its group's commits did not reach the end of {Topics.Clickstream} within {CommitWait.TotalSeconds:F0} s");
            break;
        }
        try
        {
            await producing;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || node.Completion.IsCompleted)
        {
            // Ctrl+C, SIGTERM or the node stopped: stop the engine gracefully and report what was done.
        }
        if (producer.FirstError is { } refused)
            Console.Error.WriteLine($"demo: Kafka refused {producer.Failed:N0} of the simulated events ({refused.Code}: {refused.Reason}); the demo stopped producing at the first");
        await node.StopAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        var latency = decisions.LatencyMicros;
        if (options.RedisAddress is { } givenRedis && options.KafkaAddress is null)
        {
            try
            {
                Console.WriteLine($"demo: removed this run's {await DemoIsolation.ForgetRunAsync(givenRedis, run):N0} keys from {givenRedis}");
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                Console.Error.WriteLine($"demo: this run's keys ({DemoIsolation.RunPrefix(run)}*) could not be removed from {givenRedis} ({e.Message}); remove them by that pattern");
            }
        }
        var summary = new DemoSummary(producer.Produced, counters.Consumed, Math.Round(counters.Consumed / seconds),
            new DecisionCountsSummary(decisions.Recommendations, decisions.BidDecisions, decisions.BidAdjustments, decisions.ChurnAlerts),
            counters.DeadLettered, decisions.LateBidsDropped, counters.Flushes, counters.FlushRetries,
            new LatencySummary(Millis(latency, 50), Millis(latency, 99), Millis(latency, 99.9)), Math.Round(seconds, 2), node.Fairness.Report())
        {
            EventsFailed = producer.Failed, FirstError = producer.FirstError?.Reason, Completed = done,
        };
        Console.WriteLine($"demo: done. {summary.EventsIn:N0} events in {seconds:F1} s ({summary.EventsPerSec:N0}/s); decisions: " +
                          $"{summary.Decisions.Recommendations:N0} recommendations, {summary.Decisions.BidDecisions:N0} bid decisions, " +
                          $"{summary.Decisions.ChurnAlerts:N0} churn alerts; {summary.DeadLettered:N0} dead-lettered with their reason; " +
                          $"event-to-decision p50 {summary.LatencyMs.P50} ms, p99 {summary.LatencyMs.P99} ms, p99.9 {summary.LatencyMs.P999} ms.");
        PrintLatest(decisions);
        PrintFairness(summary.Fairness!);
        if (options.Summary is { } file)
        {
            await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(summary, new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                WriteIndented = true,
                Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
            }), CancellationToken.None);
            Console.WriteLine($"demo: summary written to {file.FullName}");
        }
        return done && summary.EventsFailed == 0 ? 0 : 1;
    }

    /// <summary>How long the demo waits without reading an event while events wait, before it stops as stuck (exit 1).</summary>
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(120);

    /// <summary>How long the demo waits, once it has read every event, for its group's commits to reach the end of the clickstream.</summary>
    private static readonly TimeSpan CommitWait = TimeSpan.FromSeconds(60);

    /// <param name="recentP99">Of the last 10 s (the summary at the end gives the whole run's); null: no decision in them.</param>
    private static void Report(TimeSpan elapsed, long produced, PipelineCounters c, DecisionCounters d, double? recentP99) =>
        Console.WriteLine($"[{elapsed:mm\\:ss}] in {c.Consumed,9:N0}  lag {produced - c.Consumed,8:N0}  recs {d.Recommendations,8:N0}  " +
                          $"bids {d.BidDecisions,7:N0}  adjustments {d.BidAdjustments,5:N0}  churn {d.ChurnAlerts,5:N0}  dlq {c.DeadLettered,5:N0}  " +
                          $"p99 (10 s) {(recentP99 is { } p99 ? p99.ToString("F1", CultureInfo.InvariantCulture) + " ms" : "none"),10}  redis retries {c.FlushRetries}");

    /// <summary>Under each second's counts, the newest decision of each kind that changed since the last second.</summary>
    private static void ShowNewDecisions(DecisionCounters d, IDecision?[] shown)
    {
        IDecision?[] latest = [d.LatestRecommendation, d.LatestBid, d.LatestAdjustment, d.LatestChurnAlert];
        for (var kind = 0; kind < latest.Length; kind++)
        {
            if (latest[kind] is not { } decision || ReferenceEquals(decision, shown[kind])) continue;
            shown[kind] = decision;
            Console.WriteLine("        " + DecisionLine.Format(decision));
        }
    }

    /// <summary>Decision rates by segment; a dimension under the disparity line is called out.</summary>
    private static void PrintFairness(Engine.Models.Fairness.FairnessReport report)
    {
        foreach (var d in report.Dimensions.Where(d => d.DisparityRatio is not null))
            Console.WriteLine($"  fairness {d.Kind} by {d.Dimension}: " +
                              string.Join(", ", d.Segments.Select(s => $"{s.Segment} {s.Rate:P1} of {s.Opportunities:N0}")) +
                              $"; disparity {d.DisparityRatio:0.00}{(d.Flagged ? $" WARNING: under {report.MinDisparityRatio:0.00}" : "")}");
    }

    private static void PrintLatest(DecisionCounters d)
    {
        foreach (var decision in new[] { d.LatestRecommendation, d.LatestBid, d.LatestAdjustment, d.LatestChurnAlert })
            if (decision is not null)
                Console.WriteLine($"  latest {decision.GetType().Name}: {System.Text.Encoding.UTF8.GetString(new DecisionTopics().Record(decision).Value ?? [])}");
    }

    private static double Millis(HdrHistogram.HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 2);
}
