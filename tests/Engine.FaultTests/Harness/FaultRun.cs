using Engine.Actors.Pipeline;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.FaultTests.Harness;

/// <summary>
/// One in-process fault run: a broker of its own (the engine reads the default topic names), the decision reader, the
/// producer, and an engine node on the given Redis. Produces while the node consumes, and checks afterwards.
/// </summary>
public sealed class FaultRun : IAsyncDisposable
{
    public const int Partitions = 2;
    public const int Users = 500;
    private readonly ITestOutputHelper _output;

    private FaultRun(EmbeddedKafka kafka, string redis, EngineNode node, DecisionModels models, ITestOutputHelper output)
    {
        (Kafka, RedisEndpoint, Node, Models, _output) = (kafka, redis, node, models, output);
        Decisions = new DecisionLog(kafka.BootstrapServers, new DecisionTopics(), Partitions);
        Committed = new CommittedOffsets(kafka.BootstrapServers, "engine", Topics.Clickstream, Partitions);
        CampaignStream = new CampaignStreamProgress(kafka.BootstrapServers, "engine-campaigns", Partitions);
        Producer = new StreamProducer(kafka.BootstrapServers, Topics.Clickstream);
    }

    public EmbeddedKafka Kafka { get; }
    public string RedisEndpoint { get; }
    public EngineNode Node { get; }
    public DecisionModels Models { get; }
    public DecisionLog Decisions { get; }
    /// <summary>Records the engine has finished with (committed): unlike its counters, not inflated by a replay after a restart.</summary>
    public CommittedOffsets Committed { get; }
    public StreamProducer Producer { get; }
    public CampaignStreamProgress CampaignStream { get; }
    public FaultEvents Events { get; } = new(Users);

    /// <param name="redis">A StackExchange.Redis configuration string for the engine.</param>
    /// <param name="redisTimeouts">The engine's Redis timeouts: <see cref="EngineProcess.PatientRedis"/> unless a test needs the defaults.</param>
    public static async Task<FaultRun> StartAsync(string redis, ITestOutputHelper output, DecisionModels? models = null, string redisTimeouts = EngineProcess.PatientRedis)
    {
        var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, Partitions);
        models ??= FaultEngine.LoadModels();
        var node = await FaultEngine.StartAsync(kafka.BootstrapServers, redis + redisTimeouts, Partitions, models);
        return new FaultRun(kafka, redis, node, models, output);
    }

    /// <summary>Produces <paramref name="records"/>, never more than <paramref name="maxLag"/> ahead of what the node has committed.</summary>
    public Task ProduceAsync(IEnumerable<OutgoingRecord> records, long maxLag, CancellationToken cancellationToken) =>
        Producer.ProduceAsync(records, () => Committed.Total, maxLag, cancellationToken);

    /// <summary>Waits for <paramref name="condition"/>, failing at once if the producer or the engine's stream fails.</summary>
    public async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> waitingFor, Task producing)
    {
        await Bounded.UntilAsync(() => condition() || Node.Completion.IsCompleted, timeout, waitingFor, producing);
        Assert.False(Node.Completion.IsCompleted, "the engine's stream stopped: " + Node.Completion.Exception?.GetBaseException().Message);
    }

    /// <summary>
    /// Waits until the node has committed <paramref name="count"/> records (failing early if it stopped) and its campaign
    /// stream every forward of them, then for the decision topics to go quiet.
    /// </summary>
    public async Task WaitCommittedAsync(long count, TimeSpan timeout, Task producing)
    {
        var deadline = DateTime.UtcNow + timeout;
        await UntilAsync(() => Committed.Total >= count, timeout,
            () => $"{count:N0} records committed (now {Committed.Total:N0}, produced {Producer.Sent:N0})", producing);
        await producing;
        await CampaignStream.WaitCaughtUpAsync(deadline - DateTime.UtcNow);
        await Decisions.WaitQuietAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
    }

    /// <summary>Features and deterministic decisions against the references computed from the delivered events; prints both.</summary>
    public async Task AssertNothingLostAsync()
    {
        var delivered = Producer.Delivered;
        using var redis = await ConnectionMultiplexer.ConnectAsync(RedisEndpoint);
        var features = await FeatureCheck.CompareUsersAsync(redis, delivered);
        var items = await FeatureCheck.CompareItemsAsync(redis, delivered);
        var campaigns = await FeatureCheck.CompareCampaignsAsync(redis, delivered);
        var decisions = DecisionOutcome.Of(Decisions, DecisionReference.Bids(delivered.Select(d => d.Event)), DecisionReference.Recommendations(delivered, Models),
            FaultEngine.ListConflationWindow);
        _output.WriteLine("features: " + features);
        _output.WriteLine("items: " + items);
        _output.WriteLine($"campaigns: {campaigns}; {CampaignStream.Describe(delivered)}");
        _output.WriteLine("decisions: " + decisions);
        _output.WriteLine($"engine counters: consumed {Node.UserCounters.Consumed:N0}, applied {Node.UserCounters.Applied:N0}, dead-lettered {Node.UserCounters.DeadLettered:N0}, " +
                          $"flushes {Node.UserCounters.Flushes:N0}, flush retries {Node.UserCounters.FlushRetries:N0}; decision topics: {Decisions.Records:N0} records, {Decisions.Gaps} offsets skipped");
        Assert.Equal(0, Decisions.Gaps);
        Assert.Equal(0, features.Mismatched);
        Assert.Equal(features.EventsReferenced, features.EventsInRedis);
        // Independent of the reference (which applies events with the engine's own code): every delivered valid event is in a
        // user's 7-day counts (all nine types are counted there; the stream spans under 3 hours).
        Assert.Equal(delivered.Count, features.EventsInRedis);
        Assert.Equal(0, items.Mismatched);
        Assert.Equal(items.EventsReferenced, items.EventsInRedis);
        Assert.Equal(0, campaigns.Mismatched);
        Assert.Equal(campaigns.EventsReferenced, campaigns.EventsInRedis);
        decisions.AssertNothingLost();
    }

    public async ValueTask DisposeAsync()
    {
        await Node.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        FaultEngine.Release(Models);
        Decisions.Dispose();
        Committed.Dispose();
        CampaignStream.Dispose();
        Producer.Dispose();
        await Kafka.DisposeAsync();
    }
}
