using System.Text.Json;
using Engine.Actors.Campaigns;
using Engine.Host.Configuration;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Host.Web;
using Engine.Models.Decisions;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Cli;

/// <summary>What <c>run</c> does once its settings are gathered: validate them, start the node and its HTTP side, stop on request.</summary>
public static class NodeRunner
{
    public static async Task<int> RunAsync(IConfiguration configuration, bool embedded, FileInfo? addresses, CancellationToken ct)
    {
        if (embedded)
        {
            // The embedded servers supply both addresses: validate everything else first, with placeholders.
            var placeholders = new Dictionary<string, string?> { ["Kafka:BootstrapServers"] = "embedded:1", ["Redis:Endpoint"] = "embedded:1" };
            configuration = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(placeholders).Build();
        }
        var options = EngineOptions.Load(configuration);
        if (!embedded && options.Privacy.ProblemOnExternalServers() is { } keyProblem) throw new ConfigurationError([keyProblem]);
        var modelsDirectory = FindModels(options.Models.Directory);
        // Before anything starts: a bad model file stops start-up with what to do, not a stack trace after topics were created.
        string[] watched = [Path.Combine(modelsDirectory, "churn", "model.onnx"), Path.Combine(modelsDirectory, "bid", "model.onnx")];
        var filesLoaded = ModelWatcher.Look(watched); // a model deployed while the node starts is loaded at the watcher's first look
        var models = LoadModels(modelsDirectory);

        await using var infrastructure = await Reachable(() => Infrastructure.StartAsync(
            embedded ? null : options.Kafka.BootstrapServers, embedded ? null : options.Redis.Endpoint, options.Kafka.Partitions, options.Kafka.Client,
            options.Kafka.Topics.ToDecisionTopics().All, options.Kafka.Topics.BidAdjustments), options);
        options.Kafka.BootstrapServers = infrastructure.KafkaBootstrap;
        options.Redis.Endpoint = infrastructure.RedisEndpoint;
        Console.WriteLine($"run: {infrastructure.Describe()}");
        Console.WriteLine($"run: {options.Describe()}; models {modelsDirectory}");
        if (options.Privacy.UsesDevelopmentKey)
            Console.Error.WriteLine("run: WARNING: Privacy:PseudonymKey is not set: user ids in Redis and logs are pseudonymised with the public " +
                                    "development key, which anyone can reverse by hashing candidate ids. Fine for development; in production set " +
                                    "Privacy__PseudonymKey=$(openssl rand -base64 32) and keep it secret (docs/privacy.md).");
        if (addresses is not null)
            await File.WriteAllTextAsync(addresses.FullName, JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["kafka"] = infrastructure.KafkaBootstrap, ["redis"] = infrastructure.RedisEndpoint,
            }), ct);

        // One logger factory for the host's lines and Akka's (pipeline failures, cluster, shutdown): one format, one level setting.
        using var logs = Microsoft.Extensions.Logging.LoggerFactory.Create(b => Telemetry.EngineLogging.AddEngineConsole(b, configuration));
        var settings = options.ToNodeSettings(modelsDirectory);
        settings = settings with
        {
            KafkaClient = infrastructure.WithTuning(settings.KafkaClient), GcPacing = infrastructure.GcPacing(settings.GcPacing),
            Cluster = settings.Cluster with { Logs = logs, LogLevel = Telemetry.EngineLogging.AkkaLevel(configuration) },
        };
        // The live page shows user ids to whoever reaches the port: on by default only with the embedded (development) servers.
        options.Http.LivePage ??= embedded;
        await using var http = options.Http.Port < 0 ? null : await NodeHttp.StartAsync(options.Http, configuration, settings, logs);
        if (http is not null) Console.WriteLine($"run: serving {http.Url} (/metrics, /healthz, /readyz{(options.Http.LivePage == true ? ", live page at /" : "; no live page: Http:LivePage=true serves it")})");
        await using var node = await Reachable(() => EngineNode.StartAsync(settings, models, new CampaignCatalog(), new CampaignBoard(), ct), options);
        http?.Attach(node);
        await using var watcher = options.Models.ReloadSeconds == 0 ? null : new ModelWatcher(
            [("churn", watched[0], models.Churn), ("bid", watched[1], models.Bid)], TimeSpan.FromSeconds(options.Models.ReloadSeconds),
            Console.Error.WriteLine, filesLoaded);
        Console.WriteLine("run: consuming; Ctrl+C or SIGTERM stops gracefully");
        await Task.WhenAny(Task.Delay(Timeout.Infinite, ct), node.Completion, node.RemovedFromCluster);
        try
        {
            await node.StopAsync();
        }
        catch (Exception) when (node.Completion.IsFaulted || node.RemovedFromCluster.IsCompleted)
        {
            // The pipeline's own failure, rethrown by the drain, or the actor system gone with the removal: reported below, once.
        }
        Console.WriteLine($"run: stopped after {node.UserCounters.Consumed:N0} events");
        var (code, error) = Ending(node);
        if (error is not null) Console.Error.WriteLine($"run: {error}");
        return code;
    }

    /// <summary>Exit code of a node the cluster removed (downed) without its asking: start it again to rejoin.</summary>
    public const int RemovedFromClusterExitCode = 4;

    /// <summary>How a stopped node's run ends: its exit code, and what to tell the operator (null: stopped as asked).</summary>
    public static (int ExitCode, string? Error) Ending(EngineNode node)
    {
        if (node.RemovedFromCluster.IsCompleted)
            return (RemovedFromClusterExitCode, "this node was removed from the cluster (downed: the split-brain resolver when the other " +
                "members could not reach it for 20 s, or an operator), so it stopped; its partitions and entities " +
                "moved to the others. Start it again to rejoin (docs/operations.md, \"Cluster: downing and timeouts\")");
        if (node.Completion.Exception?.GetBaseException() is { } failure)
            return (1, $"a decision pipeline failed: {failure.GetType().Name}: {failure.Message}");
        return (0, null);
    }

    /// <summary>
    /// Redis or Kafka not answering at start-up is a <see cref="StartupUnavailable"/> (exit 3, one line naming what did not
    /// answer), not an unhandled exception whose text advises a setting the endpoint check refuses (<c>abortConnect</c>).
    /// Only the failure's kind is printed: a client's message may quote its configuration. A refusal of the node's
    /// credentials or rights is a <see cref="ConfigurationError"/> (exit 2): it lasts until an operator fixes it, and exit 3
    /// had a supervisor restart the node for ever.
    /// </summary>
    private static async Task<T> Reachable<T>(Func<Task<T>> start, EngineOptions options)
    {
        try
        {
            return await start();
        }
        catch (StackExchange.Redis.RedisConnectionException e) when (e.FailureType == StackExchange.Redis.ConnectionFailureType.AuthenticationFailure)
        {
            throw new ConfigurationError([$"Redis:User, Redis:Password, Redis:Tls: Redis at {options.Redis.Endpoint} refused the node's credentials " +
                                          "or its TLS handshake (AuthenticationFailure): set the user and password Redis expects (ACL), and Redis:Tls as it serves."]);
        }
        catch (Confluent.Kafka.KafkaException e) when (IsRefusal(e.Error.Code))
        {
            throw new ConfigurationError([$"Kafka:Client: Kafka at {options.Kafka.BootstrapServers} refused the node ({e.Error.Code}: {e.Error.Reason}): " +
                                          "grant the node's principal READ and WRITE on the engine's topics (docs/contracts.md lists them) and READ on its " +
                                          "consumer groups, or set the credentials Kafka expects (sasl.*, security.protocol)."]);
        }
        catch (StackExchange.Redis.RedisConnectionException e)
        {
            throw new StartupUnavailable($"Redis at {options.Redis.Endpoint} did not answer at start-up ({e.FailureType}): start it, or check " +
                                         "Redis:Endpoint, Redis:Tls and the credentials; exiting with code 3 so that a supervisor starts the node again.", e);
        }
        catch (Confluent.Kafka.KafkaException e) when (e.Error.Code is Confluent.Kafka.ErrorCode.UnknownTopicOrPart)
        {
            // Kafka answered: a topic the node reads is not there (yet: the reason is ours, naming the topic).
            throw new StartupUnavailable($"Kafka at {options.Kafka.BootstrapServers}: {e.Error.Reason}; exiting with code 3 so that a supervisor " +
                                         "starts the node again.", e);
        }
        catch (Confluent.Kafka.KafkaException e)
        {
            throw new StartupUnavailable($"Kafka at {options.Kafka.BootstrapServers} did not answer at start-up ({e.Error.Code}): start it, or check " +
                                         "Kafka:BootstrapServers and Kafka:Client (security); exiting with code 3 so that a supervisor starts the node again.", e);
        }
    }

    /// <summary>Kafka refused the node's credentials or rights: no restart changes that.</summary>
    private static bool IsRefusal(Confluent.Kafka.ErrorCode code) => code is Confluent.Kafka.ErrorCode.TopicAuthorizationFailed
        or Confluent.Kafka.ErrorCode.GroupAuthorizationFailed or Confluent.Kafka.ErrorCode.ClusterAuthorizationFailed
        or Confluent.Kafka.ErrorCode.SaslAuthenticationFailed or Confluent.Kafka.ErrorCode.Local_Authentication
        or Confluent.Kafka.ErrorCode.Local_Ssl; // only as a login refusal (WatchedAdminClient): a certificate that fails verification

    /// <summary>
    /// The models, or a <see cref="ConfigurationError"/> (exit 2) naming the file and what to do: the loaders' messages say both.
    /// Two files of different runs (a deploy replacing a model.onnx and its model.json one after the other) are tried again
    /// for up to <paramref name="pairWait"/> (default 10 s): before 2026-12-07 a node started between the two renames exited
    /// 2, which supervisors do not restart, though the deploy completed a moment later.
    /// </summary>
    internal static DecisionModels LoadModels(string directory, TimeSpan? pairWait = null)
    {
        var until = DateTime.UtcNow + (pairWait ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                return DemoModels.Load(directory);
            }
            catch (Engine.Models.Scoring.ModelLoadException e) when (e.FilesOfDifferentRuns && DateTime.UtcNow < until)
            {
                Thread.Sleep(500);
            }
            catch (Exception e) when (e is Engine.Models.Scoring.ModelLoadException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new ConfigurationError([$"Models:Directory: {e.Message}"]);
            }
        }
    }

    private static string FindModels(string? configured)
    {
        try
        {
            var directory = DemoModels.FindDirectory(string.IsNullOrWhiteSpace(configured) ? null : configured);
            return File.Exists(Path.Combine(directory, "churn", "model.onnx")) ? directory
                : throw new ConfigurationError([$"Models:Directory: {Path.GetFullPath(directory)} has no churn/model.onnx; expected the folder holding churn/, bid/ and recs/ (the repository's models/, or ./engine train output)."]);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new ConfigurationError([$"Models:Directory: {e.Message}"]);
        }
    }
}
