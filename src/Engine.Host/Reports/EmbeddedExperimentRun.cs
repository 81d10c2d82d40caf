using System.Text;
using Confluent.Kafka;
using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Experiments;
using Engine.Models.Simulation;

namespace Engine.Host.Reports;

/// <summary>
/// <c>./engine report experiments --embedded</c>: the demo's embedded Kafka and Garnet, a node running the same
/// champion/challenger experiment on all three decisions, and the simulator; the report reads the topics along the run
/// and up to their ends once the node has decided on every event and stopped (flushing its alerts and shadow scores).
/// </summary>
public static class EmbeddedExperimentRun
{
    /// <summary>Events produced ahead of the engine at most: the embedded broker keeps only ~5 MB per partition.</summary>
    private const long MaxLag = 10_000;

    public static async Task<TopicSnapshot> RunAsync(DemoOptions demo, ExperimentMode mode, double challengerShare, TextWriter log,
        CancellationToken cancellationToken)
    {
        await using var infrastructure = await Infrastructure.StartAsync(null, null, demo.Partitions);
        var modelsDirectory = DemoModels.FindDirectory(demo.ModelsDirectory);
        await CampaignBookings.PublishAsync(infrastructure.KafkaBootstrap, DemoModels.CampaignSpecs(demo));
        var settings = new EngineNodeSettings(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, modelsDirectory, demo.Partitions,
            new ClusterSettings(), KafkaClient: infrastructure.KafkaClientTuning, GcPacing: infrastructure.GcPacing(),
            TmaxFromIntake: true, // a replay faster than real time: its backlog is the replay's, and no exchange waits on the requests
            RecommendationExperiment: Experiment.ChampionChallenger("recs-ranker-vs-blend", ExperimentTarget.Recommendations, mode, challengerShare),
            BidExperiment: new BidExperiment(Experiment.ChampionChallenger("bids-ctr-calibration", ExperimentTarget.Bids, mode, challengerShare), 0.8),
            ChurnExperiment: new ChurnExperiment(Experiment.ChampionChallenger("churn-threshold", ExperimentTarget.Churn, mode, challengerShare),
                new ChurnAlertPolicy(0.6, 0.5)));
        log.WriteLine($"report: embedded run, {mode} experiments with a {challengerShare:P0} challenger on recommendations (blend order), " +
                      $"bids (CTR x 0.8) and churn alerts (threshold 0.6); simulating {demo.Events:N0} events from {demo.Users:N0} users");
        using var tail = TopicTail.Start(infrastructure.KafkaBootstrap, infrastructure.KafkaClientTuning, TimeSpan.FromSeconds(30));
        await using (var node = await EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), cancellationToken))
        {
            var produced = await ProduceAsync(infrastructure.KafkaBootstrap, demo, () => node.UserCounters.Consumed, cancellationToken);
            while (!cancellationToken.IsCancellationRequested && node.UserCounters.Consumed < produced && !node.Completion.IsCompleted)
                await Task.Delay(250, cancellationToken);
            // The sweeper raises silent users' alerts on its own beat: give it a few beats after the last event.
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            await node.StopAsync();
            log.WriteLine($"report: the node decided on {node.UserCounters.Consumed:N0} events; {node.ShadowScores.Logged:N0} shadow scores logged");
        }
        return tail.Finish(TimeSpan.FromSeconds(120), cancellationToken);
    }

    /// <summary>The simulator's clickstream into Kafka (keyed by user, murmur2 as the engine expects), never far ahead of the engine.</summary>
    private static async Task<long> ProduceAsync(string bootstrap, DemoOptions demo, Func<long> consumed, CancellationToken cancellationToken)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
            { BootstrapServers = bootstrap, Partitioner = Partitioner.Murmur2Random, LingerMs = 5, EnableIdempotence = true }).Build();
        long produced = 0;
        foreach (var evt in new ClickstreamSimulator(new SimulatorOptions { Seed = demo.Seed, Users = demo.Users, Campaigns = demo.Campaigns }))
        {
            if (produced >= demo.Events || cancellationToken.IsCancellationRequested) break;
            while (produced - consumed() > MaxLag) await Task.Delay(50, cancellationToken);
            producer.Produce(Topics.Clickstream, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(evt.UserId), Value = ClickEventCodec.Encode(evt) });
            if (++produced % 1_000 == 0) producer.Flush(cancellationToken);
        }
        producer.Flush(cancellationToken);
        return produced;
    }
}
