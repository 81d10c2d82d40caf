using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Experiments;

namespace Engine.Host.Reports;

/// <summary>
/// <c>./engine report experiments --embedded</c>: the demo's embedded Kafka and Garnet, a node running the same
/// champion/challenger experiment on all three decisions, and the simulator; when the node has decided on every event it
/// stops (flushing its alerts and shadow scores), and the topics are read back for the report.
/// </summary>
public static class EmbeddedExperimentRun
{
    public static async Task<TopicSnapshot> RunAsync(DemoOptions demo, ExperimentMode mode, double challengerShare, TextWriter log,
        CancellationToken cancellationToken)
    {
        await using var infrastructure = await Infrastructure.StartAsync(null, null, demo.Partitions);
        var modelsDirectory = DemoModels.FindDirectory(demo.ModelsDirectory);
        await CampaignBookings.PublishAsync(infrastructure.KafkaBootstrap, DemoModels.CampaignSpecs(demo));
        var settings = new EngineNodeSettings(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, modelsDirectory, demo.Partitions,
            new ClusterSettings(), KafkaClient: infrastructure.KafkaClientTuning,
            RecommendationExperiment: Experiment.ChampionChallenger("recs-ranker-vs-blend", ExperimentTarget.Recommendations, mode, challengerShare),
            BidExperiment: new BidExperiment(Experiment.ChampionChallenger("bids-ctr-calibration", ExperimentTarget.Bids, mode, challengerShare), 0.8),
            ChurnExperiment: new ChurnExperiment(Experiment.ChampionChallenger("churn-threshold", ExperimentTarget.Churn, mode, challengerShare),
                new ChurnAlertPolicy(0.6, 0.5)));
        log.WriteLine($"report: embedded run, {mode} experiments with a {challengerShare:P0} challenger on recommendations (blend order), " +
                      $"bids (CTR x 0.8) and churn alerts (threshold 0.6); simulating {demo.Events:N0} events from {demo.Users:N0} users");
        await using (var node = await EngineNode.StartAsync(settings, DemoModels.Load(modelsDirectory), new CampaignCatalog(), new CampaignBoard(), cancellationToken))
        {
            var producer = new SimulatedProducer(infrastructure.KafkaBootstrap, Topics.Clickstream, demo);
            await producer.RunAsync(cancellationToken);
            while (!cancellationToken.IsCancellationRequested && node.UserCounters.Consumed < producer.Produced && !node.Completion.IsCompleted)
                await Task.Delay(250, cancellationToken);
            // The sweeper raises silent users' alerts on its own beat: give it a few beats after the last event.
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            await node.StopAsync();
            log.WriteLine($"report: the node decided on {node.UserCounters.Consumed:N0} events; {node.ShadowScores.Logged:N0} shadow scores logged");
        }
        return TopicSnapshot.Read(infrastructure.KafkaBootstrap, infrastructure.KafkaClientTuning, TimeSpan.FromSeconds(60), cancellationToken);
    }
}
