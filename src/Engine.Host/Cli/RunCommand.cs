using System.CommandLine;
using System.Text.Json;
using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Decisions;

namespace Engine.Host.Cli;

/// <summary>
/// <c>engine run</c>: one engine node on the given Kafka and Redis (or, with <c>--embedded</c>, on the embedded
/// development servers, whose addresses it prints), until Ctrl+C or SIGTERM, then a graceful stop.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers, host:port[,host:port]" };
        var redis = new Option<string?>("--redis") { Description = "Redis, host:port" };
        var embedded = new Option<bool>("--embedded") { Description = "Start the embedded Kafka (mock cluster) and Garnet instead (development and test only)" };
        var addresses = new Option<FileInfo?>("--addresses") { Description = "With --embedded: write {\"kafka\": \"host:port\", \"redis\": \"host:port\"} to this file" };
        var models = new Option<string?>("--models") { Description = "Folder with churn/, bid/ and recs/ (default: the repository's models/)" };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of the input topics (created if missing)", DefaultValueFactory = _ => 8 };
        var group = new Option<string>("--group") { Description = "Kafka consumer group of the engine", DefaultValueFactory = _ => "engine" };
        var command = new Command("run",
            "Run one engine node until Ctrl+C or SIGTERM.\n" +
            "Example: ./engine run --kafka broker:9092 --redis redis:6379\n" +
            "Example: ./engine run --embedded --addresses addresses.json")
        {
            kafka, redis, embedded, addresses, models, partitions, group,
        };
        command.SetAction(async (parse, ct) =>
        {
            var isEmbedded = parse.GetValue(embedded);
            if (!isEmbedded && (parse.GetValue(kafka) is null || parse.GetValue(redis) is null))
            {
                Console.Error.WriteLine("run: give --kafka host:port and --redis host:port, or --embedded for the development servers.");
                return 2;
            }
            await using var infrastructure = await Infrastructure.StartAsync(parse.GetValue(kafka), parse.GetValue(redis), parse.GetValue(partitions));
            Console.WriteLine($"run: {infrastructure.Describe()}");
            if (parse.GetValue(addresses) is { } file)
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["kafka"] = infrastructure.KafkaBootstrap, ["redis"] = infrastructure.RedisEndpoint,
                }), ct);
            var modelsDirectory = DemoModels.FindDirectory(parse.GetValue(models));
            var settings = new EngineNodeSettings(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, modelsDirectory,
                parse.GetValue(partitions), new ClusterSettings(), GroupId: parse.GetValue(group)!);
            await using var node = await EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), ct);
            Console.WriteLine("run: consuming; Ctrl+C or SIGTERM stops gracefully");
            try
            {
                await Task.WhenAny(Task.Delay(Timeout.Infinite, ct), node.Completion);
            }
            finally
            {
                await node.StopAsync();
                Console.WriteLine($"run: stopped after {node.UserCounters.Consumed:N0} events");
            }
            return node.Completion.IsFaulted ? 1 : 0;
        });
        return command;
    }
}
