using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Experiments;

namespace Engine.Host.Reports;

/// <summary>
/// <c>./engine report experiments --embedded</c>: the demo's embedded Kafka and Garnet, a node running the same
/// champion/challenger experiment on all three decisions, and the simulator; the report reads the topics along the run
/// and up to their ends once the node has decided on every event and stopped (flushing its alerts and shadow scores).
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
            // The demo's producer and end (before 2026-12-07 a copy of the demo's old loop: it waited for ever on a node that
            // stopped or a Kafka that refused the events, and ended on a count of reads that counts a replay twice; a review).
            var producer = new SimulatedProducer(infrastructure.KafkaBootstrap, Topics.Clickstream, demo with { MalformedShare = 0 }, () => node.UserCounters.Consumed);
            try
            {
                await producer.RunAsync(cancellationToken, until: node.Completion);
            }
            catch (OperationCanceledException) when (node.Completion.IsCompleted && !cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException("the node stopped before it had decided on every event");
            }
            if (producer.FirstError is { } refused)
                throw new InvalidOperationException($"Kafka refused {producer.Failed:N0} of the simulated events ({refused.Code}: {refused.Reason})");
            using var lag = new Telemetry.ConsumerLagProbe(infrastructure.KafkaBootstrap, infrastructure.KafkaClientTuning,
                settings.InputGroups.Where(g => g.Topic == Topics.Clickstream));
            var deadline = DateTime.UtcNow + CommitWait;
            while (!node.Completion.IsCompleted && !await Task.Run(lag.AllCommitted, cancellationToken))
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"the node read the events, but its commits did not reach the end of {Topics.Clickstream} within {CommitWait.TotalSeconds:F0} s");
                await Task.Delay(250, cancellationToken);
            }
            if (node.Completion.IsCompleted) throw new InvalidOperationException("the node stopped before it had decided on every event");
            // The sweeper raises silent users' alerts on its own beat: give it a few beats after the last event.
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            await node.StopAsync();
            log.WriteLine($"report: the node decided on {node.UserCounters.Consumed:N0} events; {node.ShadowScores.Logged:N0} shadow scores logged");
        }
        return tail.Finish(TimeSpan.FromSeconds(120), cancellationToken);
    }

    /// <summary>How long the run waits, once every event is produced, for the node's commits to reach the end of the clickstream.</summary>
    private static readonly TimeSpan CommitWait = TimeSpan.FromSeconds(120);
}
