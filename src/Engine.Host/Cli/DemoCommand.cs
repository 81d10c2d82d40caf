using System.CommandLine;
using Engine.Host.Configuration;
using Engine.Host.Demo;

namespace Engine.Host.Cli;

/// <summary><c>engine demo</c>: everything embedded plus the simulator, deciding live.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var events = new Option<long>("--events") { Description = "Simulated events to send", DefaultValueFactory = _ => 200_000 };
        var users = new Option<int>("--users") { Description = "Simulated users", DefaultValueFactory = _ => 5_000 };
        var campaigns = new Option<int>("--campaigns") { Description = "Simulated ad campaigns", DefaultValueFactory = _ => 20 };
        var rate = new Option<int>("--rate") { Description = "Events per second to send (0 = as fast as the engine takes them)", DefaultValueFactory = _ => 0 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic on the embedded broker", DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { Description = "Simulator seed (the same seed gives the same clickstream)", DefaultValueFactory = _ => 7 };
        var summary = new Option<FileInfo?>("--summary") { Description = "Write the run's counts as JSON to this file" };
        var models = new Option<string?>("--models") { Description = "Folder with the churn/, bid/ and recs/ models (default: the repository's models/)" };
        var kafka = new Option<string?>("--kafka") { Description = "Use this Kafka (host:port) instead of the embedded broker" };
        var redis = new Option<string?>("--redis") { Description = "Use this Redis (host:port) instead of the embedded Garnet" };
        var httpPort = new Option<int>("--http-port") { Description = "Port of the live page, /metrics, /healthz and /readyz on 127.0.0.1 (8080, or a free port if taken; 0 = any free port, -1 = none)", DefaultValueFactory = _ => 8080 };
        var command = new Command("demo",
            "Run the engine on the embedded Kafka and Redis (Garnet) with the clickstream simulator, live.\n" +
            "Open the printed address (http://127.0.0.1:8080 by default) to watch the decisions live in a browser.\n" +
            "Example: ./engine demo --events 100000 --rate 20000 --summary demo.json")
        {
            events, users, campaigns, rate, partitions, seed, summary, models, kafka, redis, httpPort,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await DemoRunner.RunAsync(Options(parse), ct);
            }
            catch (ConfigurationError e)
            {
                Console.Error.WriteLine($"demo: {e.Message}");
                return ConfigurationError.ExitCode;
            }
        });
        return command;

        DemoOptions Options(ParseResult parse) => new(
            Events: parse.GetValue(events),
            Users: parse.GetValue(users),
            Campaigns: parse.GetValue(campaigns),
            Rate: parse.GetValue(rate),
            Partitions: parse.GetValue(partitions),
            Seed: parse.GetValue(seed),
            Summary: parse.GetValue(summary),
            ModelsDirectory: parse.GetValue(models),
            KafkaAddress: parse.GetValue(kafka),
            RedisAddress: parse.GetValue(redis),
            HttpPort: parse.GetValue(httpPort));
    }
}
