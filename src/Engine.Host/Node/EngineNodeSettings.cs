using Engine.Actors.Features;
using Engine.Actors.Pipeline;

namespace Engine.Host.Node;

/// <summary>
/// Everything one engine node needs to run: where Kafka and Redis are, the models, the cluster it joins, and the
/// pipeline's knobs. Built from configuration by <c>run</c>, from flags by <c>demo</c>, and directly by tests and benchmarks.
/// </summary>
/// <param name="KafkaClient">librdkafka properties passed through as is (SASL/SSL, tuning); never logged.</param>
/// <param name="RedisConfiguration">A StackExchange.Redis configuration string (host:port[,password=...,ssl=true]); never logged.</param>
/// <param name="Partitions">Partitions of the input topics: one shard per partition.</param>
/// <param name="AskParallelism">Events in flight to entities per partition (default 32); fewer in flight wait less in mailboxes.</param>
/// <param name="BidExperiment">A bid experiment (and <paramref name="ChurnExperiment"/>, <paramref name="RecommendationExperiment"/>); shadow challengers are logged to <see cref="Engine.Models.Contracts.Topics.ShadowScores"/>.</param>
/// <param name="AskTimeout">How long an entity may take to answer before the stream fails and restarts (default 30 s).</param>
/// <param name="GcPacing">Short gen0 collections while the node keeps up (default <see cref="GcPacingSettings.Default"/>; <see cref="GcPacingSettings.Off"/> leaves collections to the runtime).</param>
/// <param name="DrainTimeout">How long each step of a graceful stop may take (a stream's drain, a consumer's close; default 30 s): past it, with Redis or Kafka away, the uncommitted rest is left for the next owner to replay and the node leaves anyway.</param>
/// <param name="TmaxFromIntake">Bids' <c>tmax</c> from the node's intake rather than the request's Kafka timestamp: for replays faster than real time (<see cref="DecisionPipelineSettings.TmaxFromIntake"/>).</param>
/// <param name="ClusterKeyPrefix">Where the members announce themselves in Redis (<see cref="ClusterMembers"/>), under a hash per consumer group.</param>
/// <param name="ListConflationWindow">Most records read together that are looked through for a later page event of the same user's session, whose list then replaces the earlier one's (<see cref="ListConflation"/>; default <see cref="DefaultListConflationWindow"/>; 0: every page event gets its own list).</param>
/// <param name="PseudonymKey">Base64 secret (at least 32 bytes) keying user pseudonyms at rest; null: the public development key. Never logged.</param>
public sealed record EngineNodeSettings(
    string KafkaBootstrap,
    string RedisConfiguration,
    string ModelsDirectory,
    int Partitions,
    ClusterSettings Cluster,
    IReadOnlyDictionary<string, string>? KafkaClient = null,
    string GroupId = "engine",
    string ChurnKeyPrefix = "engine:churn:",
    string ClusterKeyPrefix = "engine:cluster:",
    FeatureStoreOptions? Features = null,
    DecisionTopics? Topics = null,
    TimeSpan? ChurnSilence = null,
    TimeSpan? ChurnSweepInterval = null,
    TimeSpan? UserPassivation = null,
    TimeSpan? CampaignPassivation = null,
    PipelineRestartSettings? PipelineRestart = null,
    int? AskParallelism = null,
    TimeSpan? AskTimeout = null,
    Engine.Models.Fairness.FairnessSettings? Fairness = null,
    Engine.Models.Experiments.Experiment? RecommendationExperiment = null,
    string? PseudonymKey = null,
    Engine.Models.Experiments.BidExperiment? BidExperiment = null,
    Engine.Models.Experiments.ChurnExperiment? ChurnExperiment = null,
    GcPacingSettings? GcPacing = null,
    TimeSpan? DrainTimeout = null,
    bool TmaxFromIntake = false,
    int? ListConflationWindow = null)
{
    /// <summary>Enough for what a partition's asks hold back under a backlog (32 in flight, and what the consumer fetched meanwhile).</summary>
    public const int DefaultListConflationWindow = 512;

    public DecisionTopics EffectiveTopics => Topics ?? new DecisionTopics();

    public TimeSpan EffectiveDrainTimeout => DrainTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>The consumer group of the campaign stream (the users' is <see cref="GroupId"/>).</summary>
    public string CampaignGroupId => GroupId + "-campaigns";

    /// <summary>The node's two consumer groups and what they read: users the clickstream, campaigns the re-keyed campaign events.</summary>
    public IReadOnlyList<(string Group, string Topic)> InputGroups =>
        [(GroupId, Engine.Models.Contracts.Topics.Clickstream), (CampaignGroupId, Engine.Models.Contracts.Topics.CampaignEvents)];
}
