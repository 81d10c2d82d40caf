using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Streams;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Host.Embedded;
using Engine.Models.Contracts;
using StackExchange.Redis;

namespace Engine.Host.Demo;

/// <summary>
/// <c>./engine demo</c>: the embedded Kafka and Garnet, the simulator producing into Kafka, and the engine's
/// pipeline consuming it live, with a line of counts every second and a summary at the end.
/// </summary>
public static class DemoRunner
{
    public static async Task<int> RunAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        Console.WriteLine("demo: starting the embedded development servers (librdkafka mock cluster, Microsoft Garnet)...");
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, options.Partitions);
        using var garnet = new EmbeddedGarnet();
        Console.WriteLine($"demo: Kafka at {kafka.BootstrapServers} ({options.Partitions} partitions per topic), Redis (Garnet) at {garnet.Endpoint}");

        using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.Endpoint);
        using var metrics = new FeatureMetrics();
        var store = new FeatureStore(redis, new FeatureStoreOptions(), metrics);
        using var system = ActorSystem.Create("engine-demo");
        var counters = new PipelineCounters();
        var settings = new FeaturePipelineSettings(
            new KafkaConsumerSettings(kafka.BootstrapServers, "engine-demo", [Topics.Clickstream]),
            new KafkaProducerSettings(kafka.BootstrapServers),
            Topics.DeadLetters);
        var (control, completion) = FeaturePipeline.Run(settings, store, metrics, counters, system.Materializer());

        var producer = new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options);
        var clock = Stopwatch.StartNew();
        var producing = Task.Run(() => producer.RunAsync(cancellationToken), cancellationToken);
        Console.WriteLine($"demo: simulating {options.Events:N0} events from {options.Users:N0} users and {options.Campaigns} campaigns" +
                          (options.Rate > 0 ? $" at {options.Rate:N0}/s" : " at full speed"));
        while (!cancellationToken.IsCancellationRequested && !(producing.IsCompleted && counters.Consumed >= producer.Produced))
        {
            await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(1), cancellationToken), completion);
            if (completion.IsCompleted) break;
            Report(clock.Elapsed, producer.Produced, counters);
        }
        await producing;
        await control.DrainAndShutdownAsync(completion);
        var seconds = clock.Elapsed.TotalSeconds;
        var summary = new DemoSummary(producer.Produced, counters.Consumed, Math.Round(counters.Consumed / seconds), counters.Applied,
            counters.DeadLettered, counters.Flushes, counters.FlushRetries, Math.Round(seconds, 2));
        Console.WriteLine($"demo: done. {summary.EventsIn:N0} events in {seconds:F1} s ({summary.EventsPerSec:N0}/s): " +
                          $"{summary.Applied:N0} applied to features, {summary.DeadLettered:N0} dead-lettered with their reason, " +
                          $"{summary.FeatureFlushes:N0} feature flushes to Redis.");
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

    private static void Report(TimeSpan elapsed, long produced, PipelineCounters c) =>
        Console.WriteLine($"[{elapsed:mm\\:ss}] produced {produced,10:N0}  consumed {c.Consumed,10:N0}  " +
                          $"applied {c.Applied,10:N0}  dead-lettered {c.DeadLettered,6:N0}  lag {produced - c.Consumed,8:N0}  " +
                          $"flushes {c.Flushes,6:N0}  redis retries {c.FlushRetries}");
}
