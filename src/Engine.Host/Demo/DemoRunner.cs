using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Streams;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Campaigns;
using Engine.Actors.Users;
using Engine.Models.Decisions;
using Engine.Models.Contracts;
using StackExchange.Redis;

namespace Engine.Host.Demo;

/// <summary>
/// <c>./engine demo</c>: the embedded Kafka and Garnet, the simulator producing into Kafka, and the engine's
/// pipeline consuming it live (or the Kafka and Redis given by address), with a line of counts every second and a summary at the end.
/// </summary>
public static class DemoRunner
{
    public static async Task<int> RunAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        await using var infrastructure = await Infrastructure.StartAsync(options.KafkaAddress, options.RedisAddress, options.Partitions);
        Console.WriteLine($"demo: {infrastructure.Describe()}; {options.Partitions} partitions per topic");
        var kafka = infrastructure.KafkaBootstrap;

        using var redis = await ConnectionMultiplexer.ConnectAsync(infrastructure.RedisEndpoint);
        using var metrics = new FeatureMetrics();
        var store = new FeatureStore(redis, new FeatureStoreOptions(), metrics);
        var models = DemoModels.Load(DemoModels.FindDirectory(options.ModelsDirectory));
        var (catalog, board) = DemoModels.Campaigns(options);
        var decider = new UserDecider(models, new DecisionSettings(), board);
        Console.WriteLine($"demo: models churn {models.Churn.Version}, bid {models.Bid.Version}, recommendations {models.RecommenderVersion}");

        using var system = await EngineCluster.StartSingleNodeAsync("engine", cancellationToken);
        var users = EntityShards.Start(system, EntityShards.Users, options.Partitions, id => UserActor.Props(id, store, decider), TimeSpan.FromMinutes(2));
        var campaigns = EntityShards.Start(system, EntityShards.Campaigns, options.Partitions,
            id => CampaignActor.Props(id, store, catalog, board, CampaignPacer.Default), TimeSpan.FromMinutes(10));
        var counters = new PipelineCounters();
        var decisions = new DecisionCounters();
        var producerSettings = new KafkaProducerSettings(kafka, new Dictionary<string, string> { ["partitioner"] = "murmur2_random" });
        var dueList = new ChurnDueList(redis, "engine:churn:");
        var eventClock = new PartitionClock();
        var userSettings = new DecisionPipelineSettings(new KafkaConsumerSettings(kafka, "engine", [Topics.Clickstream]),
            producerSettings, new DecisionTopics(), EntityRoute.Users(Topics.CampaignEvents),
            Churn: new ChurnSchedule(dueList, eventClock, TimeSpan.FromDays(3)));
        var campaignSettings = new DecisionPipelineSettings(new KafkaConsumerSettings(kafka, "engine-campaigns", [Topics.CampaignEvents]),
            producerSettings, new DecisionTopics(), EntityRoute.Campaigns);
        var campaignCounters = new PipelineCounters();
        var (control, completion) = DecisionPipeline.Run(userSettings, users, store, counters, decisions, system.Materializer(),
            new ShardAlignment(system, EntityShards.Users));
        var (campaignControl, campaignCompletion) = DecisionPipeline.Run(campaignSettings, campaigns, store, campaignCounters, decisions,
            system.Materializer(), new ShardAlignment(system, EntityShards.Campaigns));

        using var alertProducer = new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(new Confluent.Kafka.ProducerConfig { BootstrapServers = kafka, EnableIdempotence = true }).Build();
        system.ActorOf(ChurnSweeper.Props(users, dueList, eventClock, alertProducer, new DecisionTopics(), decisions,
            new ChurnSweepSettings(TimeSpan.FromSeconds(1), 1_000, TimeSpan.FromDays(1), options.Partitions)), "churn-sweeper");

        var producer = new SimulatedProducer(kafka, Topics.Clickstream, options);
        var clock = Stopwatch.StartNew();
        var producing = Task.Run(() => producer.RunAsync(cancellationToken), cancellationToken);
        Console.WriteLine($"demo: simulating {options.Events:N0} events from {options.Users:N0} users and {options.Campaigns} campaigns" +
                          (options.Rate > 0 ? $" at {options.Rate:N0}/s" : " at full speed"));
        while (!cancellationToken.IsCancellationRequested && !(producing.IsCompleted && counters.Consumed >= producer.Produced))
        {
            await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(1), cancellationToken), completion);
            if (completion.IsCompleted) break;
            Report(clock.Elapsed, producer.Produced, counters, decisions);
        }
        await producing;
        await control.DrainAndShutdownAsync(completion);
        // The campaign stream reads what the user stream re-keyed: let it catch up before stopping it.
        for (var i = 0; i < 100 && campaignCounters.Consumed < counters.CampaignEventsForwarded; i++) await Task.Delay(100, CancellationToken.None);
        await campaignControl.DrainAndShutdownAsync(campaignCompletion);
        var seconds = clock.Elapsed.TotalSeconds;
        var latency = decisions.LatencyMicros;
        var summary = new DemoSummary(producer.Produced, counters.Consumed, Math.Round(counters.Consumed / seconds),
            new DecisionCountsSummary(decisions.Recommendations, decisions.BidDecisions, decisions.BidAdjustments, decisions.ChurnAlerts),
            counters.DeadLettered, decisions.LateBidsDropped, counters.Flushes, counters.FlushRetries,
            new LatencySummary(Millis(latency, 50), Millis(latency, 99), Millis(latency, 99.9)), Math.Round(seconds, 2));
        Console.WriteLine($"demo: done. {summary.EventsIn:N0} events in {seconds:F1} s ({summary.EventsPerSec:N0}/s); decisions: " +
                          $"{summary.Decisions.Recommendations:N0} recommendations, {summary.Decisions.BidDecisions:N0} bid decisions, " +
                          $"{summary.Decisions.ChurnAlerts:N0} churn alerts; {summary.DeadLettered:N0} dead-lettered with their reason; " +
                          $"event-to-decision p50 {summary.LatencyMs.P50} ms, p99 {summary.LatencyMs.P99} ms, p99.9 {summary.LatencyMs.P999} ms.");
        PrintLatest(decisions);
        if (options.Summary is { } file)
        {
            await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(summary, new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
                WriteIndented = true,
            }), CancellationToken.None);
            Console.WriteLine($"demo: summary written to {file.FullName}");
        }
        return summary.EventsIn >= summary.EventsProduced ? 0 : 1;
    }

    private static void Report(TimeSpan elapsed, long produced, PipelineCounters c, DecisionCounters d) =>
        Console.WriteLine($"[{elapsed:mm\\:ss}] in {c.Consumed,9:N0}  lag {produced - c.Consumed,8:N0}  recs {d.Recommendations,8:N0}  " +
                          $"bids {d.BidDecisions,7:N0}  churn {d.ChurnAlerts,5:N0}  dlq {c.DeadLettered,5:N0}  " +
                          $"p99 {Millis(d.LatencyMicros, 99),7:F1} ms  redis retries {c.FlushRetries}");

    private static void PrintLatest(DecisionCounters d)
    {
        foreach (var decision in new[] { d.LatestRecommendation, d.LatestBid, d.LatestChurnAlert })
            if (decision is not null)
                Console.WriteLine($"  latest {decision.GetType().Name}: {System.Text.Encoding.UTF8.GetString(new DecisionTopics().Record(decision).Value ?? [])}");
    }

    private static double Millis(HdrHistogram.HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? 0 : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 2);
}
