using System.ComponentModel.DataAnnotations;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Kafka</c>. Env: <c>Kafka__BootstrapServers=broker:9092</c>.</summary>
public sealed class KafkaOptions : IValidatableObject
{
    public const string Section = "Kafka";

    /// <summary>The partitioner every producer of the node uses: the Java client's murmur2, which the engine routes by.</summary>
    public const string Partitioner = "murmur2_random";

    /// <summary>Comma-separated host:port list of Apache Kafka brokers. Not needed with <c>--embedded</c>.</summary>
    [Required(ErrorMessage = "Kafka:BootstrapServers is missing: set it to your brokers (host:port[,host:port]) or run with --embedded.")]
    [RegularExpression(@"^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$", ErrorMessage = "Kafka:BootstrapServers must be host:port[,host:port...], e.g. broker-1:9092,broker-2:9092.")]
    public string? BootstrapServers { get; set; }

    [Required, MinLength(1)]
    public string GroupId { get; set; } = "engine";

    /// <summary>
    /// Partitions of the input topics: one shard per partition, and how a user's partition is found. Topics the engine
    /// creates get this many; existing input topics must have it, or start-up stops and names the right number.
    /// </summary>
    [Range(1, 1024, ErrorMessage = "Kafka:Partitions must be between 1 and 1024.")]
    public int Partitions { get; set; } = 8;

    public TopicOptions Topics { get; set; } = new();

    /// <summary>
    /// Passed to librdkafka as is, for security and tuning, e.g. <c>Kafka__Client__security.protocol=SASL_SSL</c>,
    /// <c>sasl.mechanism</c>, <c>sasl.username</c>, <c>sasl.password</c>, <c>ssl.ca.location</c>. Never logged.
    /// </summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The engine finds a user's and a campaign's partition with murmur2 and refuses records found elsewhere as misrouted:
        // another partitioner would send every campaign-event forward to the dead letters.
        if (Client.TryGetValue("partitioner", out var partitioner) && partitioner != Partitioner)
            yield return new ValidationResult(
                $"Kafka:Client:partitioner must be {Partitioner} (or unset): the engine routes users and campaigns by the Java client's murmur2 hash.",
                [nameof(Client)]);
        // The validator does not descend into Topics: an empty name reached Kafka, which refused it at start-up.
        var topics = new List<ValidationResult>();
        Validator.TryValidateObject(Topics, new ValidationContext(Topics), topics, validateAllProperties: true);
        foreach (var problem in topics)
            yield return new ValidationResult($"Kafka:Topics:{problem.MemberNames.FirstOrDefault()} must name a topic (or be left out for its default).",
                [$"Topics:{problem.MemberNames.FirstOrDefault()}"]);
        foreach (var (setting, name) in Topics.Named().Where(t => TopicOptions.Inputs.Contains(t.Name)))
            yield return new ValidationResult($"Kafka:Topics:{setting} is {name}, an input topic of the engine: its decisions would be read back as events.",
                [$"Topics:{setting}"]);
        if (ClientProblem() is { } client) yield return new ValidationResult(client, [nameof(Client)]);
    }

    /// <summary>The cluster's stable-after (20 s) plus 15 s for failure detection (docs/operations.md).</summary>
    public const int MinSessionTimeoutMs = 35_000;

    /// <summary>
    /// In a cluster of several nodes (<paramref name="clustered"/>: seeds configured), a session timeout shorter than the
    /// cluster's downing: a crashed node's partitions were handed over before its shards moved, and the survivor's asks to the
    /// dead node's entities stalled its stream until they timed out (review, 2026-12-06; the rule was only in the docs).
    /// A single node has no shards elsewhere: a short timeout only hands its partitions to its successor sooner.
    /// </summary>
    public string? SessionTimeoutProblem(bool clustered) =>
        clustered && Client.TryGetValue("session.timeout.ms", out var session)
        && int.TryParse(session, System.Globalization.CultureInfo.InvariantCulture, out var sessionMs) && sessionMs < MinSessionTimeoutMs
            ? $"Kafka:Client:session.timeout.ms is {sessionMs}: in a cluster keep it at least {MinSessionTimeoutMs} (librdkafka's default is 45000). A crashed " +
              "node's shards move only once the cluster has downed it (failure detection, then 20 s of stable-after); Kafka handing its partitions over " +
              "sooner sends the survivor's events to entities on the dead node, and its stream stalls until their asks time out."
            : null;

    /// <summary>
    /// What librdkafka refuses in <see cref="Client"/>, found by building the clients the node builds with it (no broker is
    /// reached: no bootstrap servers are given): a consumer with the consumers' properties, an idempotent producer with the
    /// producers'. librdkafka checks some settings only there (<c>max.poll.interval.ms</c> against <c>session.timeout.ms</c>,
    /// <c>fetch.max.bytes</c> against <c>message.max.bytes</c>, <c>max.in.flight</c> with idempotence): one plain producer
    /// passed them, and the node's first client threw after the topics were made, exit 1 with a stack trace (before
    /// 2026-12-07, review). Only the property is named, never its value (a secret, possibly).
    /// </summary>
    private string? ClientProblem()
    {
        if (Client.Count == 0) return null;
        var consumer = new Engine.Actors.Kafka.KafkaConsumerSettings("", "probe", [], Node.KafkaClientProperties.ForConsumer(Client)).ToConsumerConfig();
        var producer = new Engine.Actors.Kafka.KafkaProducerSettings("",
            new Dictionary<string, string>(Node.KafkaClientProperties.ForProducer(Client)) { ["partitioner"] = Partitioner }).ToProducerConfig();
        return Refusal(() => new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(consumer).SetLogHandler((_, _) => { }).Build())
               ?? Refusal(() => new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(producer).SetLogHandler((_, _) => { }).Build());
    }

    private static string? Refusal(Func<IDisposable> build)
    {
        try
        {
            build().Dispose();
            return null;
        }
        catch (ArgumentException e)
        {
            var property = System.Text.RegularExpressions.Regex.Match(e.Message, "property \"([^\"]+)\"").Groups[1].Value;
            return $"Kafka:Client:{(property.Length > 0 ? property : "?")} has a value librdkafka refuses: see librdkafka's CONFIGURATION.md for what it takes.";
        }
        catch (InvalidOperationException e)
        {
            // An unknown property, a file it names that cannot be read (ssl.ca.location), or two that disagree: librdkafka's message names them.
            return $"Kafka:Client: librdkafka cannot start with these properties: {e.Message}";
        }
    }
}

/// <summary>
/// Section <c>Kafka:Topics</c>: where decisions and dead letters go (defaults in <see cref="Topics"/>). The input
/// topics (<c>engine.clickstream</c>, <c>engine.campaign-events</c>) keep their names: the partition-to-shard alignment is built on them.
/// </summary>
public sealed class TopicOptions
{
    [Required] public string DeadLetters { get; set; } = Topics.DeadLetters;
    [Required] public string Recommendations { get; set; } = Topics.Recommendations;
    [Required] public string BidDecisions { get; set; } = Topics.BidDecisions;
    [Required] public string BidAdjustments { get; set; } = Topics.BidAdjustments;
    [Required] public string ChurnAlerts { get; set; } = Topics.ChurnAlerts;

    /// <summary>The topics the engine reads, which no output may be renamed to.</summary>
    public static readonly IReadOnlySet<string> Inputs = new HashSet<string>(StringComparer.Ordinal)
        { Engine.Models.Contracts.Topics.Clickstream, Engine.Models.Contracts.Topics.CampaignEvents, Engine.Models.Contracts.Topics.Campaigns, Engine.Models.Contracts.Topics.Privacy };

    /// <summary>Each setting with its topic.</summary>
    public IEnumerable<(string Setting, string Name)> Named() =>
    [
        (nameof(DeadLetters), DeadLetters), (nameof(Recommendations), Recommendations), (nameof(BidDecisions), BidDecisions),
        (nameof(BidAdjustments), BidAdjustments), (nameof(ChurnAlerts), ChurnAlerts),
    ];

    public DecisionTopics ToDecisionTopics() => new(Recommendations, BidDecisions, BidAdjustments, ChurnAlerts, DeadLetters);
}
