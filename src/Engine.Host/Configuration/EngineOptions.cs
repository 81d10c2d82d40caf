using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Host.Node;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Configuration;

/// <summary>Every section <c>run</c> reads, bound and validated together so one start-up reports every problem at once.</summary>
public sealed record EngineOptions(KafkaOptions Kafka, RedisOptions Redis, ClusterOptions Cluster, ModelOptions Models, HttpOptions Http,
    ExperimentOptions Experiments, PrivacyOptions Privacy, FairnessOptions Fairness, GcOptions Gc, RecommendationOptions Recommendations)
{
    /// <exception cref="ConfigurationError">A setting is missing or wrong; each problem names it.</exception>
    public static EngineOptions Load(IConfiguration configuration)
    {
        var problems = new List<string>();
        var options = new EngineOptions(
            OptionsBinder.Bind<KafkaOptions>(configuration, KafkaOptions.Section, problems),
            OptionsBinder.Bind<RedisOptions>(configuration, RedisOptions.Section, problems),
            OptionsBinder.Bind<ClusterOptions>(configuration, ClusterOptions.Section, problems),
            OptionsBinder.Bind<ModelOptions>(configuration, ModelOptions.Section, problems),
            OptionsBinder.Bind<HttpOptions>(configuration, HttpOptions.Section, problems),
            OptionsBinder.Bind<ExperimentOptions>(configuration, ExperimentOptions.Section, problems),
            OptionsBinder.Bind<PrivacyOptions>(configuration, PrivacyOptions.Section, problems),
            OptionsBinder.Bind<FairnessOptions>(configuration, FairnessOptions.Section, problems),
            OptionsBinder.Bind<GcOptions>(configuration, GcOptions.Section, problems),
            OptionsBinder.Bind<RecommendationOptions>(configuration, RecommendationOptions.Section, problems));
        problems.AddRange(options.Cluster.SeedProblems(configuration.GetSection(ClusterOptions.Section)));
        if (options.Kafka.SessionTimeoutProblem(clustered: options.Cluster.Seeds.Length > 0) is { } session) problems.Add(session);
        problems.AddRange(LogLevelProblems(configuration.GetSection("Logging")));
        if (FormatterProblem(configuration.GetSection("Logging:Console:FormatterName")) is { } formatter) problems.Add(formatter);
        return problems.Count > 0 ? throw new ConfigurationError(problems) : options;
    }

    /// <summary>
    /// Log levels the logging library would refuse when the node builds its loggers, after the topics are created, with a
    /// stack trace, exit 1 and a message that names no setting (e.g. <c>Logging__LogLevel__Default=Warn</c>): the default
    /// levels, each provider's (<c>Logging:Console:LogLevel:Default</c>, as ASP.NET's templates write them; since
    /// 2026-12-07, a review) and the console's <c>LogToStandardErrorThreshold</c>.
    /// </summary>
    private static IEnumerable<string> LogLevelProblems(IConfigurationSection logging)
    {
        var levels = logging.GetChildren().Select(child => child.Key == "LogLevel" ? child : child.GetSection("LogLevel"))
            .SelectMany(section => section.GetChildren())
            .Append(logging.GetSection("Console:LogToStandardErrorThreshold"));
        // Empty (a template's unset value) is no level, which the logging library skips: not a problem.
        return levels.Where(level => !string.IsNullOrEmpty(level.Value) && !Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(level.Value, ignoreCase: true, out _))
            .Select(level => $"{level.Path} must be one of Trace, Debug, Information, Warning, Error, Critical, None.");
    }

    /// <summary>
    /// A console log format the logging library does not have: it falls back to <c>simple</c> without a word, and a pipeline
    /// reading the logs as JSON stops parsing them (review, 2026-12-08).
    /// </summary>
    private static string? FormatterProblem(IConfigurationSection formatter) =>
        string.IsNullOrEmpty(formatter.Value) || formatter.Value.ToLowerInvariant() is "simple" or "json" or "systemd"
            ? null
            : $"{formatter.Path} must be one of simple, json, systemd.";

    /// <summary>The node's settings; <paramref name="modelsDirectory"/> is the resolved models folder.</summary>
    public EngineNodeSettings ToNodeSettings(string modelsDirectory) => new(
        Kafka.BootstrapServers!,
        Redis.ToConfigurationString(),
        modelsDirectory,
        Kafka.Partitions,
        // Without seeds the node may still find members in Redis and join them: the cluster's rules then apply to it too.
        new ClusterSettings(Cluster.Hostname, Cluster.Port, Cluster.Seeds, JoinRefusal: Kafka.SessionTimeoutProblem(clustered: true)),
        KafkaClient: Kafka.Client,
        GroupId: Kafka.GroupId,
        ChurnKeyPrefix: Redis.ChurnKeyPrefix,
        ClusterKeyPrefix: Redis.ClusterKeyPrefix,
        Features: Redis.ToFeatureStoreOptions(),
        Topics: Kafka.Topics.ToDecisionTopics(),
        Fairness: Fairness.ToSettings(),
        RecommendationExperiment: Experiments.RecommendationExperiment(),
        BidExperiment: Experiments.BidExperiment(),
        ChurnExperiment: Experiments.ChurnExperiment(),
        PseudonymKey: Privacy.UsesDevelopmentKey ? null : Privacy.PseudonymKey,
        GcPacing: Gc.ToSettings(),
        ListConflationWindow: Recommendations.ConflationWindow);

    /// <summary>What start-up prints: addresses and names only, never a password, a key or a librdkafka property value.</summary>
    public string Describe() =>
        $"Kafka {Kafka.BootstrapServers} (group {Kafka.GroupId}{ClientKeys()}), Redis {Redis.Endpoint} " +
        $"(db {Redis.Database}{(Redis.Tls ? ", TLS" : "")}{(Redis.Password is null ? "" : ", password set")}), " +
        $"cluster {Cluster.Hostname}:{Cluster.Port} seeds [{string.Join(", ", Cluster.Seeds)}], " +
        $"pseudonym key {(Privacy.UsesDevelopmentKey ? "DEVELOPMENT (public)" : "set")}";

    private string ClientKeys() => Kafka.Client.Count == 0 ? "" : "; client properties: " + string.Join(", ", Kafka.Client.Keys.Order(StringComparer.Ordinal));
}
