using System.CommandLine;
using System.Globalization;
using Engine.Host.Configuration;

namespace Engine.Host.Cli;

/// <summary>
/// <c>engine run</c>: one engine node on the configured Kafka and Redis (or, with <c>--embedded</c>, on the embedded
/// development servers, whose addresses it prints), until Ctrl+C or SIGTERM, then a graceful stop.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers, host:port[,host:port] (Kafka:BootstrapServers)" };
        var redis = new Option<string?>("--redis") { Description = "Redis, host:port (Redis:Endpoint)" };
        var embedded = new Option<bool>("--embedded") { Description = "Start the embedded Kafka (mock cluster) and Garnet instead (development and test only)" };
        var addresses = new Option<FileInfo?>("--addresses") { Description = "With --embedded: write {\"kafka\": \"host:port\", \"redis\": \"host:port\"} to this file" };
        var models = new Option<string?>("--models") { Description = "Folder with churn/, bid/ and recs/ (Models:Directory; default: the repository's models/)" };
        var partitions = new Option<int?>("--partitions") { Description = "Partitions of the input topics, created if missing (Kafka:Partitions, default 8)" };
        var group = new Option<string?>("--group") { Description = "Kafka consumer group of the engine (Kafka:GroupId, default engine)" };
        var httpPort = new Option<int?>("--http-port") { Description = "Port of /metrics, /healthz, /readyz and the live page (Http:Port, default 8080; 0 = any free port; -1 = none)" };
        var config = new Option<FileInfo?>("--config") { Description = "A JSON file shaped like appsettings.json, read after it" };
        var command = new Command("run",
            "Run one engine node until Ctrl+C or SIGTERM (then it drains, commits and leaves the cluster).\n" +
            "Settings come from appsettings.json, then --config FILE, then environment variables (Kafka__BootstrapServers=...),\n" +
            "then these flags; see docs/operations.md. A wrong or missing setting stops start-up with exit code 2; Redis, Kafka or\n" +
            "the cluster's seeds not answering at start-up, with exit code 3 (start the node again once they are back); a node\n" +
            "the cluster downed (removed) exits with code 4 (start it again to rejoin).\n" +
            "Example: ./engine run --kafka broker:9092 --redis redis:6379\n" +
            "Example: env 'Kafka__Client__security.protocol=SASL_SSL' Redis__Password=... ./engine run --config prod.json\n" +
            "(env: a shell refuses a variable name with a dot; compose and Kubernetes take it as is)\n" +
            "Example: ./engine run --embedded --addresses addresses.json --http-port 0")
        {
            kafka, redis, embedded, addresses, models, partitions, group, httpPort, config,
        };
        command.SetAction(async (parse, ct) =>
        {
            var flags = new Dictionary<string, string?>
            {
                ["Kafka:BootstrapServers"] = parse.GetValue(kafka),
                ["Redis:Endpoint"] = parse.GetValue(redis),
                ["Models:Directory"] = parse.GetValue(models),
                ["Kafka:Partitions"] = Invariant(parse.GetValue(partitions)),
                ["Kafka:GroupId"] = parse.GetValue(group),
                ["Http:Port"] = Invariant(parse.GetValue(httpPort)),
            };
            try
            {
                return await NodeRunner.RunAsync(EngineConfiguration.Build(parse.GetValue(config), flags), parse.GetValue(embedded), parse.GetValue(addresses), ct);
            }
            catch (ConfigurationError e)
            {
                Console.Error.WriteLine($"run: {e.Message}");
                return ConfigurationError.ExitCode;
            }
            catch (StartupUnavailable e)
            {
                Console.Error.WriteLine($"run: {e.Message}");
                return StartupUnavailable.ExitCode;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.WriteLine("run: stopped before consuming");
                return 0;
            }
        });
        return command;
    }

    private static string? Invariant(int? value) => value?.ToString(CultureInfo.InvariantCulture);
}
