using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Experiments;
using Engine.Models.Features;
using Engine.Models.Scoring;
using Engine.Models.Tests.Experiments;
using Engine.Models.Tests.Scoring;
using Xunit.Abstractions;

namespace Engine.Models.Tests.Decisions;

/// <summary>
/// A decision reads its model once and calls it several times (the score, then the explanation): a hot reload between
/// them retired the version under it, and the call threw, which stopped the user's actor with no answer.
/// </summary>
public sealed class DecisionsAcrossReloadsTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = Bidders.Start;

    [Fact]
    public void Bids_and_churn_alerts_never_fail_while_their_models_are_reloaded()
    {
        using var churn = new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        var board = Bidders.Board();
        // Every armed check alerts (threshold 0), so every check scores and then explains.
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"),
            new DecisionSettings(Churn: new ChurnAlertPolicy(0, -1)), board);
        var (user, request) = Bidders.Bidder("u-1");

        var stop = false;
        var reloads = 0;
        var reloader = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                if (!churn.TryReload(ModelFiles.Committed("churn")).Loaded || !bid.TryReload(ModelFiles.Committed("bid")).Loaded)
                    throw new InvalidOperationException("the committed models should reload");
                Interlocked.Increment(ref reloads);
            }
        });
        reloader.Start();
        var (decisions, failures) = (0, new List<string>());
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < deadline || Volatile.Read(ref reloads) < 20)
        {
            try
            {
                var episode = ChurnEpisode.Armed;
                Assert.NotNull(decider.CheckChurn(user, ref episode, Start.AddDays(5), "sweep:0:1"));
                Assert.Equal(ChurnEpisode.Alerted, episode);
                Assert.True(decider.Bid(user, request, request.EventTime).Bid);
                decisions += 2;
            }
            catch (ObjectDisposedException e)
            {
                failures.Add(e.Message);
            }
        }
        Volatile.Write(ref stop, true);
        reloader.Join();
        output.WriteLine($"{decisions:N0} decisions during {reloads} reloads of both models; {failures.Count} failed" +
                         (failures.Count > 0 ? $", e.g. {failures[0]}" : ""));
        Assert.Empty(failures);
    }
    [Fact]
    public void A_shadow_challengers_score_is_logged_once_per_decision_even_when_a_reload_retires_the_first_attempt()
    {
        using var churn = new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        // The log reloads both models on its first record: before 2026-12-06 the arms logged before the explanation, which
        // then found its version retired, so the decision ran again and logged a second time.
        var log = new ReloadingShadowLog(() =>
        {
            Assert.True(churn.TryReload(ModelFiles.Committed("churn")).Loaded);
            Assert.True(bid.TryReload(ModelFiles.Committed("bid")).Loaded);
        });
        var alwaysAlert = new ChurnAlertPolicy(0, -1);
        var settings = new DecisionSettings(
            Churn: alwaysAlert,
            ChurnExperiment: new ChurnExperiment(Experiment.ChampionChallenger("churn-shadow", ExperimentTarget.Churn, ExperimentMode.Shadow, 1.0), alwaysAlert),
            BidExperiment: new BidExperiment(Experiment.ChampionChallenger("bid-shadow", ExperimentTarget.Bids, ExperimentMode.Shadow, 1.0), 0.8),
            Shadow: log);
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"), settings, Bidders.Board());
        var (user, request) = Bidders.Bidder("u-1");

        var episode = ChurnEpisode.Armed;
        var alert = decider.CheckChurn(user, ref episode, Start.AddDays(5), "sweep:0:1");
        Assert.NotNull(alert);
        log.ReloadOnNextRecord();
        Assert.True(decider.Bid(user, request, request.EventTime).Bid);

        output.WriteLine($"shadow scores logged: {string.Join(", ", log.Scores.Select(s => $"{s.Kind} {s.ModelVersion}"))}");
        Assert.Equal(["churn_alert", "bid"], log.Scores.Select(s => s.Kind));
        Assert.Equal(2, log.Reloads);
    }

    /// <summary>
    /// A replayed bid request (priced again within its tmax, as the demo at full speed prices replays) logs no second shadow
    /// score: before 2026-12-07 each restart added a row per replayed request to the experiment's log, as lists once did (review).
    /// </summary>
    [Fact]
    public void A_replayed_bid_request_logs_no_second_shadow_score()
    {
        using var churn = new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        var log = new ReloadingShadowLog(() => { });
        var settings = new DecisionSettings(
            BidExperiment: new BidExperiment(Experiment.ChampionChallenger("bid-shadow", ExperimentTarget.Bids, ExperimentMode.Shadow, 1.0), 0.8),
            Shadow: log);
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"), settings, Bidders.Board());
        var (user, request) = Bidders.Bidder("u-1");

        var first = decider.Bid(user, request, request.EventTime);
        var replayed = decider.Bid(user, request, request.EventTime, replay: true);

        Assert.Equal(first.DecisionId, replayed.DecisionId);
        Assert.Equal(["bid"], log.Scores.Select(s => s.Kind));
    }

    private sealed class ReloadingShadowLog(Action reload) : IShadowLog
    {
        private bool _reload = true;
        public List<ShadowScore> Scores { get; } = [];
        public int Reloads { get; private set; }

        public void ReloadOnNextRecord() => _reload = true;

        public void Record(ShadowScore score)
        {
            Scores.Add(score);
            if (!_reload) return;
            _reload = false;
            reload();
            Reloads++;
        }
    }
}
