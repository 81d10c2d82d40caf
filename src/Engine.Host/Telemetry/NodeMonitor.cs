using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Engine.Actors.Sharding;
using Engine.Host.Node;
using Microsoft.Extensions.Logging;

namespace Engine.Host.Telemetry;

/// <summary>
/// Watches one engine node for <c>/metrics</c>, <c>/readyz</c> and the live page: every few seconds it pings Redis,
/// reads the consumer lag from Kafka and counts the entities this node hosts. Readings are kept, never blocked on.
/// </summary>
public sealed class NodeMonitor : IAsyncDisposable
{
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(15);
    private readonly ConsumerLagProbe _lag;
    private readonly ILogger _log;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private volatile EngineNode? _node;
    private volatile NodeReadings _readings = NodeReadings.None;
    private readonly Lock _gate = new(); // the three probe loops each update their part of the readings

    public NodeMonitor(ConsumerLagProbe lag, ILogger log, TimeSpan? interval = null) =>
        (_lag, _log, _interval) = (lag, log, interval ?? TimeSpan.FromSeconds(2));

    public EngineNode? Node => _node;
    public NodeReadings Readings => _readings;
    /// <summary>When the node started consuming and the probes began (null: starting).</summary>
    public DateTime? AttachedUtc { get; private set; }

    /// <summary>Starts watching once the node consumes; until then <c>/readyz</c> says "starting".</summary>
    public void Attach(EngineNode node)
    {
        AttachedUtc = DateTime.UtcNow;
        _node = node;
        _loop = Task.Run(() => LoopAsync(node, _stop.Token));
    }

    /// <summary>
    /// Ready: consuming, the campaign feed caught up, no pipeline restarted within the last 30 seconds, Redis and Kafka
    /// both answered within the last 15, feature flushes not failing without one landing for 15 s, and no record waiting
    /// for Kafka's acknowledgement for 30 s. A pipeline that fails
    /// and restarts in a loop (a topic missing) is not ready; before, it counted as consuming. Redis refusing writes while it
    /// answers PING (a node demoted to replica) does not fail the stream, whose flushes retry for ever: the flushes' own
    /// progress says so (before, the node stalled and stayed ready).
    /// </summary>
    /// <remarks>
    /// While the node starts (joining its cluster, reading the campaigns: up to minutes) nothing is probed yet: <c>starting</c>,
    /// and Redis and Kafka neither reachable nor unreachable (null). Before 2026-12-07 both read unreachable then, and a node
    /// stuck joining its cluster sent the on-call engineer after two healthy servers.
    /// </remarks>
    public Readiness Readiness()
    {
        var now = DateTime.UtcNow;
        var r = _readings;
        var node = _node;
        if (node is null || AttachedUtc is not { } attached) return new Readiness(false, null, null, Starting: true);
        return new Readiness(
            Consuming: !node.Completion.IsCompleted && !_stop.IsCancellationRequested,
            RedisReachable: Reachable(r.RedisAnsweredUtc, attached, now),
            KafkaReachable: Reachable(r.KafkaAnsweredUtc, attached, now),
            PipelinesSteady: now - node.LastPipelineRestartUtc >= RestartQuiet && _restarts.Within(RestartLoopWindow, now) < RestartLoop,
            CampaignsCaughtUp: node.CampaignFeed.CaughtUp,
            FlushesLanding: r.FlushesLanding(now, Stale),
            KafkaAcknowledging: node.Deliveries.OldestWaiting() < Unacknowledged);
    }

    /// <summary>Answered within <see cref="Stale"/>; unknown (null) until the first probe had its chance, then false.</summary>
    private static bool? Reachable(DateTime answeredUtc, DateTime attachedUtc, DateTime now) =>
        now - answeredUtc < Stale ? true : now - attachedUtc < Stale ? null : false;

    /// <summary>
    /// A record waiting this long for Kafka's acknowledgement means a stuck producer (a partition without a leader, too few
    /// in-sync replicas for acks=all): a broker failover takes seconds, and librdkafka retries such a record without a word.
    /// </summary>
    public static readonly TimeSpan Unacknowledged = TimeSpan.FromSeconds(30);

    /// <summary>How long after a pipeline restart the node reports not ready (the restart backoff tops out at 10 s).</summary>
    public static readonly TimeSpan RestartQuiet = TimeSpan.FromSeconds(30);

    /// <summary>
    /// This many restarts within <see cref="RestartLoopWindow"/> are a loop: not ready even between them. A run that fails
    /// on an ask timeout lives longer than <see cref="RestartQuiet"/>, and the node flapped to ready for seconds each cycle.
    /// </summary>
    public const int RestartLoop = 2;

    public static readonly TimeSpan RestartLoopWindow = TimeSpan.FromMinutes(5);

    private readonly RestartHistory _restarts = new();

    /// <summary>
    /// Three loops, each publishing its own reading: Redis's PING, Kafka's lag probe, the entity counts with the streams'
    /// counters. One after another (before 2026-12-07), a hung Redis (a ping waits up to the client's timeout) or a slow
    /// actor system (two 3 s asks) held Kafka's next answer back past the 15 s readiness limit: Kafka read unreachable while
    /// it answered, and the other way round.
    /// </summary>
    private Task LoopAsync(EngineNode node, CancellationToken ct)
    {
        var users = ClusterSharding.Get(node.System).ShardRegion(EntityShards.Users);
        var campaigns = ClusterSharding.Get(node.System).ShardRegion(EntityShards.Campaigns);
        return Task.WhenAll(Every(node, () => PingRedisAsync(node, ct), ct), Every(node, () => ProbeKafkaAsync(ct), ct),
            Every(node, () => CountAsync(node, users, campaigns), ct));
    }

    /// <summary>Runs <paramref name="probe"/> every interval until the node has stopped (its connections go with it) or the monitor is disposed.</summary>
    private async Task Every(EngineNode node, Func<Task> probe, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested && !node.System.WhenTerminated.IsCompleted)
        {
            try
            {
                await probe();
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
            {
                break; // the node or the monitor is stopping
            }
            try { await Task.Delay(_interval, ct); } catch (OperationCanceledException) { break; }
        }
    }

    private void Update(Func<NodeReadings, NodeReadings> change)
    {
        lock (_gate) _readings = change(_readings);
    }

    private async Task PingRedisAsync(EngineNode node, CancellationToken ct)
    {
        try
        {
            var watch = Stopwatch.StartNew();
            // At most PingTimeout, whatever the client's own timeout (Redis:TimeoutMs may be minutes): an answer that late is none.
            await node.Redis.GetDatabase().PingAsync().WaitAsync(PingTimeout, ct);
            var roundTripMs = watch.Elapsed.TotalMilliseconds;
            Update(r => r with { RedisRoundTripMs = roundTripMs, RedisAnsweredUtc = DateTime.UtcNow });
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            // Unknown, not the last answer's: a dashboard must not show a healthy round trip during an outage.
            Update(r => r with { RedisRoundTripMs = null });
            _log.LogWarning("Redis did not answer a ping: {Reason}", e.Message);
        }
    }

    private async Task ProbeKafkaAsync(CancellationToken ct)
    {
        try
        {
            var lag = await Task.Run(_lag.Read, ct);
            Update(r => r with { Lag = lag, KafkaAnsweredUtc = DateTime.UtcNow });
        }
        catch (Confluent.Kafka.KafkaException e)
        {
            Update(r => r with { Lag = null });
            _log.LogWarning("Kafka did not answer the lag probe: {Reason}", e.Error.Reason);
        }
    }

    private async Task CountAsync(EngineNode node, IActorRef users, IActorRef campaigns)
    {
        var (userEntities, campaignEntities) = (await EntitiesAsync(users), await EntitiesAsync(campaigns));
        var now = DateTime.UtcNow;
        Update(r => (r with { UserEntities = userEntities, CampaignEntities = campaignEntities })
            .WithFlushes(node.UserCounters.Flushes + node.CampaignCounters.Flushes, node.UserCounters.FlushRetries + node.CampaignCounters.FlushRetries, now));
        _restarts.Add(now, node.PipelineRestarts.Users + node.PipelineRestarts.Campaigns);
    }

    /// <summary>How long a PING may take before Redis counts as not answering it.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Entities alive in this node's shards (asked at the edge: this is not an actor).</summary>
    private static async Task<long> EntitiesAsync(IActorRef region)
    {
        try
        {
            var stats = await region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, TimeSpan.FromSeconds(3));
            return stats.Stats.Values.Sum();
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return -1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _lag.Dispose();
        _stop.Dispose();
    }
}

/// <summary>The latest readings of a <see cref="NodeMonitor"/>; -1 entities = unknown.</summary>
/// <param name="RedisRoundTripMs">The latest PING's round trip; null when the latest PING got no answer (or none was sent yet).</param>
/// <param name="Lag">Each partition's lag at the latest probe (a partition without a leader left out); null when Kafka did not answer it.</param>
/// <param name="Flushes">Feature flushes acknowledged, and flushes the streams gave up and retried, at the last reading.</param>
/// <param name="LastAcknowledgedUtc">When a reading last saw a flush acknowledged (the monitor's start before any).</param>
/// <param name="LastRetriedUtc">When a reading last saw a flush given up and retried.</param>
/// <param name="FailingSinceUtc">When a reading first saw a flush retried after the last one acknowledged: the failing streak's start.</param>
public sealed record NodeReadings(
    double? RedisRoundTripMs, DateTime RedisAnsweredUtc, IReadOnlyList<PartitionLag>? Lag, DateTime KafkaAnsweredUtc, long UserEntities, long CampaignEntities,
    (long Acknowledged, long Retried) Flushes = default, DateTime LastAcknowledgedUtc = default, DateTime LastRetriedUtc = default,
    DateTime FailingSinceUtc = default)
{
    public static NodeReadings None { get; } = new(null, DateTime.MinValue, null, DateTime.MinValue, 0, 0, default, DateTime.UtcNow, DateTime.MinValue);

    /// <summary>These readings with the streams' flush counts.</summary>
    public NodeReadings WithFlushes(long acknowledged, long retried, DateTime now)
    {
        var (landed, failed) = (acknowledged > Flushes.Acknowledged, retried > Flushes.Retried);
        var wasFailing = LastRetriedUtc > LastAcknowledgedUtc;
        return this with
        {
            Flushes = (acknowledged, retried),
            LastAcknowledgedUtc = landed ? now : LastAcknowledgedUtc,
            LastRetriedUtc = failed ? now : LastRetriedUtc,
            FailingSinceUtc = failed && (landed || !wasFailing) ? now : FailingSinceUtc,
        };
    }

    /// <summary>
    /// False once flushes have kept failing for <paramref name="stale"/> without one landing: a partition retrying every few
    /// seconds keeps it false whatever the readings' pace (idle, with none failing, is true). Measured from the streak's first
    /// retry: before 2026-12-07 it was from the last flush that landed, so on a node quiet for 15 s one retry made it false at once.
    /// </summary>
    public bool FlushesLanding(DateTime now, TimeSpan stale) => LastRetriedUtc <= LastAcknowledgedUtc || now - FailingSinceUtc < stale;
}

/// <summary>What <c>/readyz</c> checks.</summary>
/// <param name="PipelinesSteady">No decision pipeline was restarted within <see cref="NodeMonitor.RestartQuiet"/>.</param>
/// <param name="CampaignsCaughtUp">The campaign feed has read the bookings and bid adjustments that were on Kafka at start.</param>
/// <param name="FlushesLanding">Feature flushes reach Redis, or none is failing: not 15 s of retries without one acknowledged.</param>
/// <param name="KafkaAcknowledging">No decision, dead letter, campaign-event forward, churn alert, idle adjustment or privacy ack has waited <see cref="NodeMonitor.Unacknowledged"/> for Kafka's acknowledgement.</param>
/// <param name="RedisReachable">Redis answered a PING within 15 s; null: not probed yet (starting, or the first probe pending).</param>
/// <param name="KafkaReachable">Kafka answered the lag probe within 15 s; null as for Redis.</param>
/// <param name="Starting">The node has not started consuming yet (joining its cluster, reading the campaigns): nothing else is known.</param>
public sealed record Readiness(bool Consuming, bool? RedisReachable, bool? KafkaReachable, bool PipelinesSteady = true, bool CampaignsCaughtUp = true,
    bool FlushesLanding = true, bool KafkaAcknowledging = true, bool Starting = false)
{
    public bool Ready => !Starting && Consuming && RedisReachable == true && KafkaReachable == true && PipelinesSteady && CampaignsCaughtUp
                         && FlushesLanding && KafkaAcknowledging;

    /// <summary>"ready", "starting", or "not ready: " and what is failing, for a person (the live page; /readyz has the fields).</summary>
    public string Describe() => Ready ? "ready" : Starting ? "starting" : "not ready: " + string.Join(", ", Failing());

    private IEnumerable<string> Failing()
    {
        if (!Consuming) yield return "not consuming";
        if (RedisReachable != true) yield return RedisReachable is null ? "redis not probed yet" : "redis not answering";
        if (KafkaReachable != true) yield return KafkaReachable is null ? "kafka not probed yet" : "kafka not answering";
        if (!PipelinesSteady) yield return "a pipeline restarted";
        if (!CampaignsCaughtUp) yield return "campaigns not read yet";
        if (!FlushesLanding) yield return "feature flushes failing";
        if (!KafkaAcknowledging) yield return "kafka not acknowledging sends";
    }
}

/// <summary>The node's total pipeline restarts as the monitor saw them, kept for a window: how many happened lately.</summary>
public sealed class RestartHistory
{
    private readonly Queue<(DateTime At, int Total)> _samples = new();
    private int _latest;

    public void Add(DateTime at, int total)
    {
        lock (_samples)
        {
            _samples.Enqueue((at, total));
            _latest = total;
            while (_samples.Count > 1 && at - _samples.Peek().At > NodeMonitor.RestartLoopWindow) _samples.Dequeue();
        }
    }

    /// <summary>Restarts seen within <paramref name="window"/> before <paramref name="now"/>.</summary>
    public int Within(TimeSpan window, DateTime now)
    {
        lock (_samples)
        {
            var oldest = _samples.FirstOrDefault(s => now - s.At <= window);
            return oldest == default ? 0 : _latest - oldest.Total;
        }
    }
}
