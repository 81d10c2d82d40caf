using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Confluent.Kafka;
using Engine.Actors.Campaigns;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Privacy;
using Engine.Actors.Sharding;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Fairness;
using Engine.Models.Privacy;
using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>
/// One running engine node: its cluster member, the user and campaign shard regions, the two decision pipelines
/// (clickstream to users; re-keyed campaign events to campaigns) and the churn sweeper. <c>run</c>, <c>demo</c>,
/// the benchmarks and the fault tests all start the engine through this one class.
/// </summary>
public sealed class EngineNode : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    // Holds the feature flushes' own connection (see FlushClient).
    private readonly FeatureStore _store;
    private readonly FeatureMetrics _featureMetrics;
    private readonly RenewingProducer _alertProducer;
    private readonly SupervisedPipeline _users;
    private readonly SupervisedPipeline _campaigns;
    private readonly CampaignFeed _campaignFeed;
    private RenewingProducer _shadowProducer = null!;
    private int _stopped;

    /// <summary>Shadow scores waiting for Kafka at most: past it, one is dropped rather than hold up a decision.</summary>
    private const int ShadowQueue = 10_000;
    private TimeSpan _drainTimeout;

    private EngineNode(ActorSystem system, ConnectionMultiplexer redis, FeatureStore store, FeatureMetrics featureMetrics, RenewingProducer alertProducer,
        DecisionModels models, PipelineCounters userCounters, PipelineCounters campaignCounters, DecisionCounters decisions,
        SupervisedPipeline users, SupervisedPipeline campaigns, CampaignFeed campaignFeed)
    {
        (System, _redis, _store, _featureMetrics, _alertProducer, Models) = (system, redis, store, featureMetrics, alertProducer, models);
        (UserCounters, CampaignCounters, Decisions, _users, _campaigns, _campaignFeed) = (userCounters, campaignCounters, decisions, users, campaigns, campaignFeed);
        Completion = Task.WhenAny(users.Completion, campaigns.Completion).Unwrap();
    }

    public ActorSystem System { get; }
    /// <summary>Producers built to replace one that failed fatally: the alerts' (churn alerts, idle campaigns' adjustments, privacy acks) and the shadow scores'.</summary>
    public (int Alerts, int Shadow) ProducerRenewals => (_alertProducer.Renewals, _shadowProducer.Renewals);
    public DecisionModels Models { get; }
    public PipelineCounters UserCounters { get; }
    public PipelineCounters CampaignCounters { get; }
    public DecisionCounters Decisions { get; }
    /// <summary>Decision rates and scores by segment (device, region, new vs returning) since the node started.</summary>
    public FairnessMonitor Fairness { get; private init; } = null!;
    public FeatureMetrics FeatureMetrics => _featureMetrics;
    /// <summary>Where shadow challengers' scores go (see <see cref="Topics.ShadowScores"/>).</summary>
    public KafkaShadowLog ShadowScores { get; private init; } = null!;
    public IConnectionMultiplexer Redis => _redis;
    public IKafkaControl UserStream => _users;
    public IKafkaControl CampaignStream => _campaigns;
    /// <summary>Times a failed pipeline was restarted from its last committed offsets (users, campaigns).</summary>
    public (int Users, int Campaigns) PipelineRestarts => (_users.Restarts, _campaigns.Restarts);
    /// <summary>When either pipeline last failed and was restarted (UTC; <see cref="DateTime.MinValue"/>: never).</summary>
    public DateTime LastPipelineRestartUtc => _users.LastRestartUtc > _campaigns.LastRestartUtc ? _users.LastRestartUtc : _campaigns.LastRestartUtc;
    public CampaignFeed CampaignFeed => _campaignFeed;
    /// <summary>Erasure and consent requests (docs/privacy.md).</summary>
    public PrivacyControl Privacy { get; private init; } = null!;
    /// <summary>How long the oldest decision, dead letter or campaign-event forward of the pipelines, or churn alert, idle adjustment or privacy ack, has waited for Kafka.</summary>
    public DeliveryWatch Deliveries { get; private init; } = null!;
    /// <summary>Each clickstream partition's event-time clock, which churn silence is measured on (<see cref="PartitionClock"/>).</summary>
    public PartitionClock EventClock { get; private init; } = null!;
    /// <summary>Short gen0 collections while the clickstream keeps up (<see cref="EngineNodeSettings.GcPacing"/>).</summary>
    public Gen0Pacer GcPacer { get; private init; } = null!;

    /// <summary>
    /// Completes when either pipeline stops for good (a failed pipeline restarts, so: when stopped). One task for the node's
    /// life: built on each read (every /readyz, scrape and live-page tick), each stayed registered on both pipelines until
    /// the stop (before 2026-12-07, review).
    /// </summary>
    public Task Completion { get; }

    /// <summary>
    /// Joins the cluster and starts consuming. <paramref name="catalog"/> and <paramref name="board"/> hold the campaigns
    /// this node bids for and paces: the campaign feed fills them from the campaigns and bid-adjustments topics
    /// (caught up before the pipelines start), and the campaign actors hosted here update the board at once.
    /// </summary>
    public static async Task<EngineNode> StartAsync(EngineNodeSettings settings, DecisionModels models, CampaignCatalog catalog, CampaignBoard board,
        CancellationToken cancellationToken)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(settings.RedisConfiguration);
        var featureMetrics = new FeatureMetrics();
        // One secret (Privacy:PseudonymKey) for the pseudonyms in keys and the sealed ids on the due-list; unset: the development key.
        var (pseudonyms, sealer) = settings.PseudonymKey is { } secret
            ? (Pseudonymizer.FromBase64(secret), UserIdSealer.FromBase64(secret))
            : (Pseudonymizer.Development, UserIdSealer.Development);
        var store = new FeatureStore(redis, settings.Features ?? new FeatureStoreOptions(), featureMetrics, pseudonyms);
        try
        {
            RedisTopology.EnsureStandalone(redis);
            await EarlierTopicCheck.EnsureAsync(store, settings.KafkaBootstrap, settings.KafkaClient ?? new Dictionary<string, string>(), settings.Partitions);
        }
        catch
        {
            await store.DisposeAsync();
            featureMetrics.Dispose();
            await redis.DisposeAsync();
            throw;
        }
        var experiment = settings.RecommendationExperiment is { } definition
            ? Engine.Models.Experiments.RecommendationExperiment.RankerVersusBlend(definition, models.Recommender)
            : null;
        var client = settings.KafkaClient ?? new Dictionary<string, string>();
        var consumerClient = KafkaClientProperties.ForConsumer(client);
        var controlClient = KafkaClientProperties.WithFetchWaitAtLeast(consumerClient, ControlFetchWaitMs);
        var deliveries = new DeliveryWatch();
        var producerSettings = new KafkaProducerSettings(settings.KafkaBootstrap,
            new Dictionary<string, string>(KafkaClientProperties.ForProducer(client)) { ["partitioner"] = Configuration.KafkaOptions.Partitioner }) { Watch = deliveries };
        ActorSystem? system = null;
        Action<Confluent.Kafka.Error> logFatal(string sends) => error => system?.Log.Error("Kafka producer of {0}: fatal: {1}; the next send goes out on a new producer", sends, error.Reason);
        // Sent outside the decision pipeline: the sweeper's churn alerts, idle campaigns' bid adjustments and privacy acks.
        var alertConfig = producerSettings.ToProducerConfig();
        var alertProducer = new RenewingProducer(alertConfig, logFatal("churn alerts, idle campaigns' adjustments and privacy acks"), deliveries);
        // Shadow scores on a producer of their own, with a small queue: sent at the decisions' rate and dropped when it is
        // full, on the alerts' producer they filled its queue while their partition was slow, and alerts and acks were refused.
        var shadowConfig = producerSettings.ToProducerConfig();
        shadowConfig.QueueBufferingMaxMessages = ShadowQueue;
        var shadowProducer = new RenewingProducer(shadowConfig, logFatal("shadow scores"));
        var shadow = new KafkaShadowLog(shadowProducer);
        var decider = new UserDecider(models, new DecisionSettings(RecommendationExperiment: experiment, BidExperiment: settings.BidExperiment,
            ChurnExperiment: settings.ChurnExperiment, Shadow: shadow), board);
        CampaignFeed? campaignFeed = null;
        SupervisedPipeline? userStream = null, campaignStream = null;
        try
        {
            var clusterKeys = ClusterMembers.GroupKeyPrefix(settings.ClusterKeyPrefix, settings.GroupId);
            system = await EngineCluster.StartAsync(settings.Cluster, cancellationToken,
                new ClusterMembers(redis.GetDatabase(), clusterKeys + "members"), new RedisLeaseSetup(redis.GetDatabase(), clusterKeys + "lease:"));
            var topics = settings.EffectiveTopics;
            var log = system.Log;
            campaignFeed = await CampaignFeed.StartAsync(new CampaignFeedSettings(settings.KafkaBootstrap, controlClient, Topics.Campaigns, topics.BidAdjustments,
                    Refused: why => log.Warning("Campaign feed: {0}", why)),
                catalog, board, TimeSpan.FromSeconds(30), cancellationToken);
            if (!campaignFeed.CaughtUp)
                system.Log.Warning("The campaign feed has not read every booking and bid adjustment after 30 s; consuming anyway (not ready until it has)");

            var dueList = new ChurnDueList(redis, settings.ChurnKeyPrefix, sealer);
            var privacyStore = new PrivacyStore(redis, store.Keys, dueList, settings.Partitions, store);
            var popular = new Engine.Models.Recommendations.RecommendationCache(models.Recommender);
            var userPrivacy = new UserPrivacy(privacyStore, new NonPersonalDecisions(popular, models.RecommenderVersion));
            // Each stream tells its entities which offsets Redis holds: an idle entity stops only once its changes are there.
            var (userDurable, campaignDurable) = (new DurableOffsets(), new DurableOffsets());
            var userIdle = new IdlePassivation(settings.UserPassivation ?? TimeSpan.FromMinutes(2), userDurable, settings.Partitions);
            var campaignIdle = new IdlePassivation(settings.CampaignPassivation ?? TimeSpan.FromMinutes(10), campaignDurable, settings.Partitions);
            var (userCounters, campaignCounters, decisions) = (new PipelineCounters(), new PipelineCounters(), new DecisionCounters());
            var users = EntityShards.Start(system, EntityShards.Users, settings.Partitions, id => UserActor.Props(id, store, decider, userPrivacy, userIdle));
            // A campaign whose events stopped is paced on the node's clock; its adjustments go out as the sweeper's alerts do.
            var idlePacing = IdlePacing.ToKafka(alertProducer, topics, decisions);
            var campaigns = EntityShards.Start(system, EntityShards.Campaigns, settings.Partitions,
                id => CampaignActor.Props(id, store, catalog, board, CampaignPacer.Default, campaignIdle, idlePacing));

            var eventClock = new PartitionClock();
            var userSettings = new DecisionPipelineSettings(new KafkaConsumerSettings(settings.KafkaBootstrap, settings.GroupId, [Topics.Clickstream], consumerClient),
                producerSettings, topics, EntityRoute.Users(Topics.CampaignEvents),
                Churn: new ChurnSchedule(dueList, eventClock, settings.ChurnSilence ?? TimeSpan.FromDays(3)), Fences: new PartitionFences(), Durable: userDurable, Partitions: settings.Partitions);
            // Few asks in flight per partition: on a small machine a deep queue only adds waiting (measured in bench e2e), and a
            // patient timeout keeps a starved moment from failing (and restarting) the stream.
            var fairness = new FairnessMonitor(settings.Fairness ?? new FairnessSettings());
            userSettings = userSettings with
            {
                Fairness = fairness, Parallelism = settings.AskParallelism ?? 32, AskTimeout = settings.AskTimeout ?? TimeSpan.FromSeconds(30),
                TmaxFromIntake = settings.TmaxFromIntake, ListConflationWindow = settings.ListConflationWindow ?? EngineNodeSettings.DefaultListConflationWindow,
            };
            var campaignSettings = new DecisionPipelineSettings(
                new KafkaConsumerSettings(settings.KafkaBootstrap, settings.CampaignGroupId, [Topics.CampaignEvents], consumerClient),
                producerSettings, topics, EntityRoute.Campaigns, Fences: new PartitionFences(), Durable: campaignDurable, Partitions: settings.Partitions);

            // A failed pipeline restarts from its last committed offsets with backoff; the node keeps running.
            var (userAlignment, campaignAlignment) = (new ShardAlignment(system, EntityShards.Users), new ShardAlignment(system, EntityShards.Campaigns));
            userStream = SupervisedPipeline.Start("users", () => DecisionPipeline.Run(userSettings, users, store, userCounters, decisions,
                system.Materializer(), userAlignment), settings.PipelineRestart ?? PipelineRestartSettings.Default, system.Log,
                () => EntityShards.StopAllAsync(users, TimeSpan.FromSeconds(10)));
            campaignStream = SupervisedPipeline.Start("campaigns", () => DecisionPipeline.Run(campaignSettings, campaigns, store, campaignCounters,
                decisions, system.Materializer(), campaignAlignment), settings.PipelineRestart ?? PipelineRestartSettings.Default, system.Log,
                () => EntityShards.StopAllAsync(campaigns, TimeSpan.FromSeconds(10)));

            // Silent users: the sweeper wakes only those due on the Redis due-list and sends their alerts itself.
            system.ActorOf(ChurnSweeper.Props(users, dueList, eventClock, alertProducer, topics, decisions,
                new ChurnSweepSettings(settings.ChurnSweepInterval ?? TimeSpan.FromSeconds(1), 1_000, TimeSpan.FromDays(1), settings.Partitions,
                    Behind: store.Options.AllowedLateness), fairness), "churn-sweeper");
            system.ActorOf(CampaignPaceTicker.Props(campaigns, catalog, CampaignPaceTicker.EarliestOf(eventClock), CampaignPacer.Default.TickInterval),
                "campaign-pace-ticker");
            var privacy = new PrivacyControl(new PrivacyControlSettings(
                    new KafkaConsumerSettings(settings.KafkaBootstrap, settings.GroupId + "-privacy", [Topics.Privacy], controlClient), Topics.PrivacyAcks,
                    Topics.Clickstream, settings.AskTimeout ?? TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60),
                    settings.GroupId, topics.DeadLetters, MaxLetterBytes: DeadLetters.LetterLimit(alertConfig)),
                users, privacyStore, alertProducer, system.Log);
            var node = new EngineNode(system, redis, store, featureMetrics, alertProducer, models, userCounters, campaignCounters, decisions, userStream, campaignStream, campaignFeed)
            {
                Fairness = fairness,
                Privacy = privacy,
                ShadowScores = shadow,
                _shadowProducer = shadowProducer,
                Deliveries = deliveries,
                EventClock = eventClock,
                GcPacer = Gen0Pacer.Start(settings.GcPacing ?? GcPacingSettings.Default, () => userCounters.RecentLatency),
                _drainTimeout = settings.EffectiveDrainTimeout,
            };
            Akka.Cluster.Cluster.Get(system).RegisterOnMemberRemoved(node.OnRemovedFromCluster);
            return node;
        }
        catch
        {
            // Up in the cluster but not deciding (the campaign feed or the privacy consumer could not start): leave, so the
            // others see this member removed at once rather than unreachable until the split-brain resolver downs it, and
            // close what was opened. Before 2026-12-06 the system stayed up in a process about to exit.
            userStream?.Stop();
            campaignStream?.Stop();
            if (campaignFeed is not null) await campaignFeed.DisposeAsync();
            if (system is not null) await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            alertProducer.Dispose();
            shadow.Dispose();
            await store.DisposeAsync(); // its flush connection, as the first catch does (a review, 2026-12-08)
            featureMetrics.Dispose();
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Completes when the cluster removed this node without its asking: downed by the split-brain resolver (the others
    /// could not reach it for <c>stable-after</c>) or by an operator. Its actor system then shuts down; the node must be
    /// started again to rejoin.
    /// </summary>
    public Task RemovedFromCluster => _removed.Task;
    private readonly TaskCompletionSource _removed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnRemovedFromCluster()
    {
        if (Volatile.Read(ref _stopped) == 0) _removed.TrySetResult();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// For failure tests: stops the way a crash would, with no draining, no further commit and no leaving the cluster
    /// (the others see it unreachable and down it). Kafka drops a crashed member after its session timeout: this
    /// waits <paramref name="kafkaSessionTimeout"/>, then closes the consumers; offsets in flight stay uncommitted and
    /// are re-read by the next owner.
    /// </summary>
    public async Task CrashAsync(TimeSpan kafkaSessionTimeout)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        GcPacer.Dispose();
        // The streams first, as a crash stops them: the privacy consumer's close (up to 10 s) before them let the user
        // stream commit what it had decided meanwhile, and the takeover that followed replayed nothing. Halted, not just
        // abandoned: the actor system's shutdown takes seconds, and the commits the streams made meanwhile did land.
        var halted = Task.WhenAll(_users.HaltAsync(), _campaigns.HaltAsync());
        // Bounded, and the crash goes on regardless: a poll thread stuck in a slow commit or close still commits nothing new.
        if (await Task.WhenAny(halted, Task.Delay(TimeSpan.FromSeconds(10))) != halted)
            System.Log.Warning("Crash: a consumer did not confirm its halt within 10 s; crashing anyway");
        try
        {
            await System.Terminate();
            await Privacy.DisposeAsync();
            await Task.Delay(kafkaSessionTimeout);
        }
        finally
        {
            // Whatever failed above: a halted consumer closes only here, and left open it would hold its partitions for ever.
            await Task.WhenAll(_users.CloseConsumerAsync(), _campaigns.CloseConsumerAsync()).WaitAsync(TimeSpan.FromSeconds(30));
            await _campaignFeed.DisposeAsync();
            await DisposeClientsAsync();
        }
    }

    /// <summary>
    /// Graceful stop: stop consuming, finish and commit what is in flight (users first: the campaign stream reads what
    /// the user stream re-keyed), then leave the cluster so shards hand over. Each step has <see cref="EngineNodeSettings.DrainTimeout"/>
    /// (30 s by default): with Redis or Kafka away a drain never ends (its flushes and sends retry), and the node used to
    /// wait for ever, holding its partitions; past the deadline what is uncommitted is left for the next owner to replay
    /// (nothing is committed that Redis and Kafka did not acknowledge) and the node still closes its consumers and leaves.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        // All the drains together within twice one step's deadline: in sequence, with Redis away, they took ~100 s, past the
        // 90 s a container is given, and the node was killed before it left the cluster.
        _stopDeadline = DateTime.UtcNow + 2 * _drainTimeout;
        GcPacer.Dispose();
        if (RemovedFromCluster.IsCompleted || System.WhenTerminated.IsCompleted)
        {
            await StopRemovedAsync();
            return;
        }
        // A request in progress is not committed: the next owner carries it out.
        await WithinDrainTimeoutAsync("the privacy requests' consumer", Privacy.DisposeAsync().AsTask());
        await DrainAsync(_users, "users");
        await AwaitOwnForwardsAsync();
        await DrainAsync(_campaigns, "campaigns");
        // Bounded too: its consumer's close can block while Kafka is away, and the cluster leave below must still happen.
        await WithinDrainTimeoutAsync("the campaign feed", _campaignFeed.DisposeAsync().AsTask());
        // Within what the drains left (at least 1 s, at most 10): the cluster leave after it must still fit the container's grace.
        _alertProducer.Flush(TimeSpan.FromTicks(Math.Clamp((_stopDeadline - DateTime.UtcNow).Ticks, TimeSpan.TicksPerSecond, 10 * TimeSpan.TicksPerSecond)));
        ShadowScores.Close(TimeSpan.FromSeconds(1)); // samples: worth a second, not the cluster leave's time
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        await DisposeClientsAsync();
    }

    /// <summary>
    /// The stop of a node the cluster removed: its actor system shuts down, and its streams and entities with it, so there is
    /// nothing to drain (waiting out the drains only delayed the exit by up to twice the drain timeout); what it had not
    /// committed is replayed by the new owners. Its consumers close, and its clients.
    /// </summary>
    private async Task StopRemovedAsync()
    {
        await WithinDrainTimeoutAsync("the actor system's shutdown", System.WhenTerminated);
        await WithinDrainTimeoutAsync("the privacy requests' consumer", Privacy.DisposeAsync().AsTask());
        _users.Abandon();
        _campaigns.Abandon();
        await WithinDrainTimeoutAsync("the consumers' close", Task.WhenAll(_users.CloseConsumerAsync(), _campaigns.CloseConsumerAsync()));
        await WithinDrainTimeoutAsync("the campaign feed", _campaignFeed.DisposeAsync().AsTask());
        _alertProducer.Flush(TimeSpan.FromSeconds(1));
        await DisposeClientsAsync();
    }

    /// <summary>The last step of every stop: the node's own Kafka producer and Redis clients.</summary>
    private async Task DisposeClientsAsync()
    {
        _alertProducer.Dispose();
        ShadowScores.Dispose(); // closed already by a graceful stop: a second dispose does nothing
        _featureMetrics.Dispose();
        await _store.DisposeAsync();
        await _redis.DisposeAsync();
    }

    /// <summary>
    /// On a node alone in its cluster, lets the campaign stream read what the user stream just forwarded (within the drain
    /// timeout; what it leaves is read at the next start). With other members these node-wide counts do not compare (most
    /// forwards go to campaign partitions other nodes own), and a healthy stop waited out the whole drain timeout.
    /// </summary>
    private async Task AwaitOwnForwardsAsync()
    {
        if (Akka.Cluster.Cluster.Get(System).State.Members.Count > 1) return;
        var until = DateTime.UtcNow + _drainTimeout < _stopDeadline ? DateTime.UtcNow + _drainTimeout : _stopDeadline;
        while (CampaignCounters.Consumed < UserCounters.CampaignEventsForwarded)
        {
            if (DateTime.UtcNow >= until)
            {
                System.Log.Info("Stopping: {0:N0} campaign events forwarded by this node are left for the campaign stream's next start",
                    UserCounters.CampaignEventsForwarded - CampaignCounters.Consumed);
                return;
            }
            await Task.Delay(100);
        }
    }

    private async Task DrainAsync(SupervisedPipeline pipeline, string name)
    {
        if (await WithinDrainTimeoutAsync($"the {name} stream's drain", pipeline.DrainAndShutdownAsync(pipeline.Completion))) return;
        pipeline.Abandon();
        await WithinDrainTimeoutAsync($"the {name} stream's consumer close", pipeline.CloseConsumerAsync()); // leaves the group: its partitions move now
    }

    /// <summary>
    /// False, and a warning, when <paramref name="step"/> did not end within the drain timeout, or within what is left of
    /// the whole stop's (at least <see cref="StepFloor"/>: a consumer's close, which hands its partitions over at once, still
    /// gets its chance).
    /// </summary>
    private async Task<bool> WithinDrainTimeoutAsync(string what, Task step)
    {
        var floor = _drainTimeout < StepFloor ? _drainTimeout : StepFloor;
        var timeout = TimeSpan.FromTicks(Math.Clamp((_stopDeadline - DateTime.UtcNow).Ticks, floor.Ticks, _drainTimeout.Ticks));
        try
        {
            await step.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            System.Log.Warning("Stopping: {0} did not end within {1:0.#} s (Redis or Kafka away?); what it has not committed is replayed by the next owner",
                what, timeout.TotalSeconds);
            return false;
        }
        catch (Exception e)
        {
            // A step that failed (a consumer that had already failed, rethrowing as it closes) must not keep the node from
            // leaving the cluster: the stop goes on.
            System.Log.Warning(e, "Stopping: {0} failed as it ended; what it has not committed is replayed by the next owner", what);
            return false;
        }
    }

    private static readonly TimeSpan StepFloor = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The least <c>fetch.wait.max.ms</c> of the consumers off the decision path (bookings and bid adjustments, privacy
    /// requests). librdkafka's mock broker (the embedded default) holds a fetch that finds nothing for the whole wait, so at
    /// the decision streams' 2 ms each of these mostly idle consumers fetched 500 times a second from each broker; a real
    /// broker answers when data arrives, and there this only bounds how long an idle fetch may wait.
    /// </summary>
    private const int ControlFetchWaitMs = 100;
    private DateTime _stopDeadline = DateTime.MaxValue;
}
