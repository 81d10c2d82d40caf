using System.Diagnostics;
using Confluent.Kafka;
using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Testing;
using Engine.Testing.Redis;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Node;

/// <summary>A graceful stop ends even when Redis does not answer: its steps have a deadline, and nothing unflushed is committed.</summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class GracefulStopTests(ITestOutputHelper output)
{
    private const int Partitions = 2;

    [Fact]
    public async Task A_stop_while_Redis_hangs_ends_within_its_deadlines_and_commits_only_what_Redis_holds()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, Partitions);
        using var redis = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        var modelsDirectory = Path.Combine(RepoPaths.Root, "models");
        var settings = new EngineNodeSettings(kafka.BootstrapServers, redis.Endpoint, modelsDirectory, Partitions, new ClusterSettings(),
            DrainTimeout: TimeSpan.FromSeconds(3));
        var node = await EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);

        var options = new DemoOptions(Events: 300, Users: 50, Campaigns: 2, Partitions: Partitions, MalformedShare: 0);
        await new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options).RunAsync(CancellationToken.None);
        await Until(() => node.UserCounters.Consumed >= 300, TimeSpan.FromSeconds(90));
        var durable = node.UserCounters.Consumed;

        // Redis hangs (SIGSTOP): the same users' next events (the stream again: they are loaded, so nothing waits for a load)
        // are decided, their flushes wait for ever, and so would the drain.
        redis.Freeze();
        // A bid request answered, or dropped as late (its tmax runs from its Kafka timestamp, and the burst may outrun it).
        long BidsDecided() => node.Decisions.BidDecisions + node.Decisions.LateBidsDropped;
        var bids = BidsDecided();
        await new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options).RunAsync(CancellationToken.None);
        await Until(() => BidsDecided() > bids, TimeSpan.FromSeconds(60)); // decided, not durable

        var watch = Stopwatch.StartNew();
        await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var stopped = watch.Elapsed;
        redis.Thaw();
        var committed = Committed(kafka.BootstrapServers);
        output.WriteLine($"{durable} events durable before Redis hung, {BidsDecided() - bids} bid requests decided after; " +
                         $"stop took {stopped.TotalSeconds:F1} s with 3 s deadlines; committed {committed}");
        Assert.True(stopped < TimeSpan.FromSeconds(60), $"the stop took {stopped}");
        Assert.Equal(durable, committed); // nothing Redis did not acknowledge
    }

    private static long Committed(string bootstrap)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "engine" }).Build();
        return consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topics.Clickstream, p)), TimeSpan.FromSeconds(10))
            .Sum(c => Math.Max(0, c.Offset.Value));
    }

    private static async Task Until(Func<bool> condition, TimeSpan timeout)
    {
        for (var deadline = DateTime.UtcNow + timeout; !condition(); await Task.Delay(100))
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in " + timeout);
    }
}
