using Engine.Actors.Kafka;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Engine.Host.Configuration;
using Engine.Host.Embedded;
using Engine.Models.Contracts;

namespace Engine.Host.Demo;

/// <summary>
/// Kafka and Redis for a run: the addresses given, or else the embedded development servers (librdkafka's mock
/// cluster, Microsoft Garnet). Disposing stops what it started.
/// </summary>
public sealed class Infrastructure : IAsyncDisposable
{
    private readonly EmbeddedKafka? _kafka;
    private readonly EmbeddedGarnet? _garnet;
    private readonly int _partitions;
    private MockLogRetention? _retention;

    private Infrastructure(string kafka, string redis, EmbeddedKafka? embeddedKafka, EmbeddedGarnet? garnet, int partitions) =>
        (KafkaBootstrap, RedisEndpoint, _kafka, _garnet, _partitions) = (kafka, redis, embeddedKafka, garnet, partitions);

    public string KafkaBootstrap { get; }
    public string RedisEndpoint { get; }

    /// <summary>
    /// Client properties this Kafka needs, added under the configured ones. The embedded mock broker holds every fetch for
    /// the full <c>fetch.wait.max.ms</c> (500 ms by default) instead of answering when data arrives as a real broker does:
    /// measured, that put ~340 ms into the event-to-decision p50 at 500 events/s. At 10 ms the mock alone (producer to
    /// consumer, nothing else) has a p99 of ~12 ms; at 2 ms, ~3.7 ms (docs/performance.md). 2 ms costs a few more empty
    /// fetches, which no longer showed in the full-speed throughput once the campaign-event forwards came in fuller batches.
    /// </summary>
    public IReadOnlyDictionary<string, string> KafkaClientTuning => _kafka is null ? Empty : MockBrokerFetch;

    /// <summary><paramref name="configured"/> with <see cref="KafkaClientTuning"/> beneath it (a configured value wins).</summary>
    public IReadOnlyDictionary<string, string> WithTuning(IReadOnlyDictionary<string, string>? configured)
    {
        var merged = KafkaClientTuning.ToDictionary(StringComparer.Ordinal);
        foreach (var (key, value) in configured ?? Empty) merged[key] = value;
        return merged;
    }

    /// <summary>
    /// The node's gen0 pacing beside these servers: off when Garnet runs in this process, since its hashes are objects on
    /// the same heap and each collection pays for them (in its own process Garnet's gen0 collections took 54-268 ms; in
    /// two demo runs at 5,000 events/s the lag reached 700-900 records with pacing, 100-500 without; docs/performance.md
    /// round 13); otherwise <paramref name="configured"/>.
    /// </summary>
    public Node.GcPacingSettings? GcPacing(Node.GcPacingSettings? configured = null) => _garnet is null ? configured : Node.GcPacingSettings.Off;

    private static readonly Dictionary<string, string> Empty = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> MockBrokerFetch = new(StringComparer.Ordinal) { ["fetch.wait.max.ms"] = "2" };

    /// <param name="givenRedis">What a Redis given by address is, when the caller knows better than "external".</param>
    public string Describe(string? givenRedis = null) =>
        $"Kafka at {KafkaBootstrap} ({(_kafka is null ? "external" : "embedded librdkafka mock cluster: development and test only")}), " +
        $"Redis at {RedisEndpoint} ({(_garnet is null ? givenRedis ?? "external" : "embedded Microsoft Garnet: development and test only")})";

    /// <summary>
    /// On the embedded broker, deletes every 200 ms the records these consumer groups have all committed
    /// (<see cref="MockLogRetention"/>: the mock walks its whole log on each fetch; the node commits every 200 ms, and
    /// trimming at that pace rather than each second took ~3% off the CPU per event at 10,000 events/s, round 13); on a
    /// given Kafka, nothing (its own retention applies). For runs whose topics nobody else reads from the start: the
    /// engine's input topics.
    /// </summary>
    public void KeepOnlyUncommitted(IEnumerable<(string Group, string Topic)> readers)
    {
        if (_kafka is null || _retention is not null) return;
        _retention = new MockLogRetention(_kafka, readers, _partitions, TimeSpan.FromMilliseconds(200));
    }

    /// <param name="kafkaClient">librdkafka properties (SASL/SSL) for creating missing topics on a given Kafka.</param>
    /// <param name="bidAdjustmentsTopic">Where bid adjustments go (<c>Kafka:Topics:BidAdjustments</c>): compacted, as the bookings.</param>
    /// <param name="outputTopics">Every topic decisions and dead letters go to (<c>Kafka:Topics:*</c>, renamed or not): created
    /// with the engine's other topics when missing, in place of the default names (before, only the default names were, and a
    /// renamed topic's sends failed the stream in a loop on a Kafka that does not create topics itself; then both were, and
    /// a principal allowed to create only the renamed ones could not start).</param>
    public static async Task<Infrastructure> StartAsync(string? kafkaAddress, string? redisAddress, int partitions,
        IReadOnlyDictionary<string, string>? kafkaClient = null, IEnumerable<string>? outputTopics = null, string bidAdjustmentsTopic = Topics.BidAdjustments)
    {
        var topics = (outputTopics is null ? Topics.All : Topics.All.Except(new Engine.Actors.Pipeline.DecisionTopics().All).Concat(outputTopics)).Distinct(StringComparer.Ordinal).ToList();
        EmbeddedKafka? kafka = null;
        if (kafkaAddress is null)
        {
            kafka = new EmbeddedKafka();
            kafka.CreateTopics(topics, partitions);
        }
        else
        {
            await EnsureTopicsAsync(kafkaAddress, partitions, kafkaClient, topics, Compacted(bidAdjustmentsTopic));
        }
        var garnet = redisAddress is null ? new EmbeddedGarnet() : null;
        return new Infrastructure(kafkaAddress ?? kafka!.BootstrapServers, redisAddress ?? garnet!.Endpoint, kafka, garnet, partitions);
    }

    /// <summary>
    /// Creates the engine's topics that are missing, then checks that the input topics have <paramref name="partitions"/>
    /// partitions: the engine places one shard per partition and finds a user's partition (for an erasure, and its due-list
    /// entry) from this number. Off by a few, shards of users a node does not consume were placed on it, and erasures
    /// waited on partitions that do not exist, or on the wrong ones.
    /// </summary>
    /// <exception cref="ConfigurationError">An input topic has another partition count than configured.</exception>
    private static async Task EnsureTopicsAsync(string bootstrap, int partitions, IReadOnlyDictionary<string, string>? client, IReadOnlyList<string> topics,
        IReadOnlySet<string> compacted)
    {
        using var watched = new WatchedAdminClient(new AdminClientConfig(client?.ToDictionary() ?? []) { BootstrapServers = bootstrap });
        var admin = watched.Client;
        var metadata = watched.GetMetadata(TimeSpan.FromSeconds(10));
        var existing = metadata.Topics.Select(t => t.Topic).ToHashSet();
        // In the background: a Kafka without a controller (the embedded mock given by address) never answers, and every start waited its 3 s.
        _ = WarnIfNotCompactedAsync(bootstrap, client, compacted.Where(existing.Contains).ToList());
        var missing = Specifications(topics.Where(t => !existing.Contains(t)), partitions, compacted);
        if (missing.Count > 0)
        {
            try
            {
                await admin.CreateTopicsAsync(missing);
            }
            catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
            {
                // Another node created them first.
            }
            catch (CreateTopicsException e)
            {
                throw TopicsNotCreated(e, bootstrap);
            }
            metadata = admin.GetMetadata(TimeSpan.FromSeconds(10)); // what was created, and with how many partitions
        }
        var problems = metadata.Topics
            .Where(t => t.Topic is Topics.Clickstream or Topics.CampaignEvents && t.Error.Code == ErrorCode.NoError && t.Partitions.Count != partitions)
            .Select(t => $"Kafka:Partitions (--partitions) is {partitions}, but {t.Topic} has {t.Partitions.Count} partitions on {bootstrap}: set it to " +
                         $"{t.Partitions.Count} (the engine places one shard per input partition and finds each user's partition from this number).")
            .ToList();
        if (problems.Count > 0) throw new ConfigurationError(problems);
    }

    /// <summary>
    /// Kafka refused to create some of the engine's topics: each named with Kafka's reason. A refusal that lasts (no right to
    /// create, a replication factor above the brokers' count, a policy) is the operator's to fix, exit 2; one that may pass
    /// (no controller yet, a timeout) is <see cref="StartupUnavailable"/>, exit 3. Before 2026-12-06 both read "Kafka did not
    /// answer" (exit 3: a supervisor restarted the node for ever), without the reason.
    /// </summary>
    internal static Exception TopicsNotCreated(CreateTopicsException e, string bootstrap)
    {
        var failed = e.Results.Where(r => r.Error.Code is not (ErrorCode.NoError or ErrorCode.TopicAlreadyExists)).ToList();
        var what = string.Join("; ", failed.Select(r => $"{r.Topic}: {r.Error.Code} ({r.Error.Reason})"));
        if (failed.All(r => r.Error.Code is ErrorCode.RequestTimedOut or ErrorCode.NotController or ErrorCode.LeaderNotAvailable
                or ErrorCode.BrokerNotAvailable or ErrorCode.NetworkException or ErrorCode.Local_TimedOut or ErrorCode.Local_Transport))
            return new StartupUnavailable($"Kafka at {bootstrap} could not create the engine's topics now ({what}); exiting with code 3 so that a " +
                                          "supervisor starts the node again.", e);
        return new ConfigurationError([$"Kafka:Topics: Kafka at {bootstrap} refused to create {what}. Create them yourself (docs/contracts.md " +
                                       "lists them; Kafka:Partitions partitions each, the bookings and bid adjustments compacted), or allow the " +
                                       "engine's principal to (ACL CREATE), or fix the broker setting the reason names (e.g. " +
                                       "default.replication.factor above the number of brokers)."]);
    }

    /// <summary>
    /// The topics whose latest record per key is the state every node rebuilds at start (the campaign feed reads them from
    /// the beginning): the bookings, and the bid adjustments, whose last one per campaign carries its spend and whether its
    /// budget is exhausted. Deleted by retention, a restarted node would miss every campaign booked before, and bid again
    /// for exhausted ones; compacted, each keeps one record per campaign.
    /// </summary>
    public static IReadOnlySet<string> Compacted(string bidAdjustmentsTopic = Topics.BidAdjustments) =>
        new HashSet<string>(StringComparer.Ordinal) { Topics.Campaigns, bidAdjustmentsTopic };

    /// <summary>What to create for <paramref name="topics"/>: <paramref name="partitions"/> each, the <paramref name="compacted"/> ones compacted.</summary>
    public static List<TopicSpecification> Specifications(IEnumerable<string> topics, int partitions, IReadOnlySet<string> compacted) =>
        [.. topics.Select(t => new TopicSpecification
        {
            Name = t, NumPartitions = partitions, ReplicationFactor = -1,
            Configs = compacted.Contains(t) ? new Dictionary<string, string> { ["cleanup.policy"] = "compact" } : null,
        })];

    /// <summary>An existing state topic that is not compacted is the operator's to fix (the engine does not alter topics): says how.</summary>
    private static async Task WarnIfNotCompactedAsync(string bootstrap, IReadOnlyDictionary<string, string>? client, IReadOnlyList<string> topics)
    {
        if (topics.Count == 0) return;
        using var admin = new AdminClientBuilder(new AdminClientConfig(client?.ToDictionary() ?? []) { BootstrapServers = bootstrap }).Build();
        try
        {
            // A few seconds at most: a Kafka without a controller (the embedded mock given by address) never answers.
            var configs = await admin.DescribeConfigsAsync([.. topics.Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t })],
                new DescribeConfigsOptions { RequestTimeout = TimeSpan.FromSeconds(3) });
            foreach (var config in configs)
            {
                var policy = config.Entries.TryGetValue("cleanup.policy", out var entry) ? entry.Value : "delete";
                if (policy?.Contains("compact", StringComparison.Ordinal) == true) continue;
                Console.Error.WriteLine($"run: WARNING: {config.ConfigResource.Name} has cleanup.policy={policy}: retention will delete bookings and " +
                                        "budget states that restarted nodes rebuild from it. Make it compacted: kafka-configs --bootstrap-server <broker> " +
                                        $"--alter --entity-type topics --entity-name {config.ConfigResource.Name} --add-config cleanup.policy=compact");
            }
        }
        catch (Exception e) // in the background: nothing may escape unobserved
        {
            Console.Error.WriteLine($"run: could not read the cleanup policy of {string.Join(", ", topics)} ({e.Message}); they must be compacted (docs/contracts.md)");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_retention is not null) await _retention.DisposeAsync();
        _garnet?.Dispose();
        if (_kafka is not null) await _kafka.DisposeAsync();
    }
}
