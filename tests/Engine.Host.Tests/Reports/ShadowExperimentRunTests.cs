using Engine.Host.Demo;
using Engine.Host.Reports;
using Engine.Models.Contracts;
using Engine.Models.Experiments;
using Engine.Models.Experiments.Outcomes;
using Engine.Testing;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Reports;

/// <summary>
/// A node with shadow challengers on all three decisions, over the embedded Kafka and Garnet and the simulator: the
/// decision topics hold only the champion's decisions, the challengers' scores are on their own topic, and the report reads both.
/// </summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class ShadowExperimentRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Shadow_challengers_are_logged_to_their_topic_and_never_emitted_as_decisions()
    {
        var demo = new DemoOptions(Events: 6_000, Users: 300, Campaigns: 10, Partitions: 2, MalformedShare: 0,
            ModelsDirectory: Path.Combine(RepoPaths.Root, "models"));
        var writer = new StringWriter();
        var snapshot = await EmbeddedExperimentRun.RunAsync(demo, ExperimentMode.Shadow, 0.5, writer, CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine(writer.ToString());

        Assert.Equal(6_000, snapshot.Clickstream.Count);
        Assert.Contains(snapshot.Decisions, d => d is Recommendation);
        Assert.Contains(snapshot.Decisions, d => d is BidDecision);
        // Every decision the topics hold is the champion's: named so, and priced by the uncalibrated model.
        Assert.All(snapshot.Decisions, d => Assert.Equal("champion", d.Variant));
        Assert.DoesNotContain(snapshot.Decisions, d => d.ModelVersion.Contains("+ctr-x", StringComparison.Ordinal));

        // The challengers were scored, for their arm's users only, and logged on the shadow topic.
        Assert.Contains(snapshot.ShadowScores, s => s.Kind == "recommendation");
        Assert.Contains(snapshot.ShadowScores, s => s.Kind == "bid");
        var targets = new Dictionary<string, ExperimentTarget>
        {
            ["recommendation"] = ExperimentTarget.Recommendations, ["bid"] = ExperimentTarget.Bids, ["churn_alert"] = ExperimentTarget.Churn,
        };
        Assert.All(snapshot.ShadowScores, s => Assert.True(
            Experiment.ChampionChallenger(s.Experiment, targets[s.Kind], ExperimentMode.Shadow, 0.5).Arm(s.UserId).IsChallenger, s.UserId));

        var report = ExperimentsReport.From(snapshot, OutcomeWindows.Default, from: null);
        Assert.All(report.Outcomes.Rows, r => Assert.Equal("champion", r.Variant));
        Assert.Contains(report.Outcomes.Rows, r => r is { Kind: OutcomeJoin.Recommendation, Outcome: OutcomeJoin.ClickThrough, Rate.Trials: > 0 });
        Assert.Equal(snapshot.ShadowScores.Count, report.Shadow.Sum(s => s.Logged));
        output.WriteLine(ExperimentsReportOutput.Markdown(report));
    }
}
