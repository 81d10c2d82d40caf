using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Experiments;
using Engine.Models.Features;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Models.Tests.Scoring;

namespace Engine.Models.Tests.Experiments;

/// <summary>Bid and churn experiments on the committed models: who decides, what each decision names, what shadow logs.</summary>
public sealed class DecisionExperimentTests
{
    private static readonly DateTimeOffset Start = Bidders.Start;

    [Fact]
    public void A_split_bid_challenger_prices_its_users_with_its_calibration_and_every_decision_names_its_arm()
    {
        var experiment = new BidExperiment(Experiment.ChampionChallenger("bid-ctr", ExperimentTarget.Bids, ExperimentMode.Split, 0.5), 0.5);
        var (decider, champion, _) = Deciders(new DecisionSettings(BidExperiment: experiment));
        var challengers = 0;
        for (var u = 0; u < 80; u++)
        {
            var (user, request) = Bidder($"b-{u}");
            var decision = decider.Bid(user, request, request.EventTime);
            var reference = champion.Bid(user, request, request.EventTime);
            var (variant, isChallenger) = experiment.Definition.Arm(user.Id);
            Assert.Equal(variant.Name, decision.Variant);
            Assert.True(reference.Bid); // the campaign's values are high enough for the champion to bid for everyone
            if (!isChallenger)
            {
                Assert.Equal(reference.Price, decision.Price);
                continue;
            }
            challengers++;
            // The price is linear in the predicted CTR: half the CTR, half the price (both are rounded to 4 decimals).
            Assert.InRange(decision.Price!.Value, reference.Price!.Value / 2 - 0.0002m, reference.Price.Value / 2 + 0.0002m);
            Assert.EndsWith("+ctr-x0.5", decision.ModelVersion, StringComparison.Ordinal);
        }
        Assert.InRange(challengers, 20, 60);
    }

    [Fact]
    public void A_shadow_bid_challenger_is_logged_for_its_users_and_the_champion_answers_everyone()
    {
        var experiment = new BidExperiment(Experiment.ChampionChallenger("bid-ctr-shadow", ExperimentTarget.Bids, ExperimentMode.Shadow, 0.5), 0.5);
        var log = new ListShadowLog();
        var (decider, champion, _) = Deciders(new DecisionSettings(BidExperiment: experiment, Shadow: log));
        var challengerUsers = new List<string>();
        for (var u = 0; u < 80; u++)
        {
            var (user, request) = Bidder($"s-{u}");
            var decision = decider.Bid(user, request, request.EventTime);
            var reference = champion.Bid(user, request, request.EventTime);
            Assert.Equal("champion", decision.Variant);
            Assert.Equal((reference.Price, reference.CampaignId, reference.ModelVersion), (decision.Price, decision.CampaignId, decision.ModelVersion));
            if (experiment.Definition.Arm(user.Id).IsChallenger) challengerUsers.Add(user.Id);
        }
        Assert.NotEmpty(challengerUsers);
        Assert.Equal(challengerUsers, log.Scores.Select(s => s.UserId));
        Assert.All(log.Scores, s => Assert.Equal(("bid", "bid-ctr-shadow"), (s.Kind, s.Experiment)));
        Assert.All(log.Scores, s => Assert.EndsWith("+ctr-x0.5", s.ModelVersion, StringComparison.Ordinal));
    }

    [Fact]
    public void A_split_churn_challenger_alerts_its_users_at_its_own_threshold()
    {
        // The champion never alerts (threshold above 1), the challenger always does (threshold 0): who alerts shows who decides.
        var experiment = new ChurnExperiment(Experiment.ChampionChallenger("churn-threshold", ExperimentTarget.Churn, ExperimentMode.Split, 0.3), new ChurnAlertPolicy(0, 0));
        var (decider, _, _) = Deciders(new DecisionSettings(Churn: new ChurnAlertPolicy(1.01, 0.5), ChurnExperiment: experiment));
        for (var u = 0; u < 80; u++)
        {
            var (user, request) = Bidder($"c-{u}");
            var episode = ChurnEpisode.Armed;
            var alert = decider.CheckChurn(user, ref episode, request.EventTime.AddDays(5), "sweep:0:1");
            if (experiment.Definition.Arm(user.Id).IsChallenger)
                Assert.Equal(("challenger", 0.0), (alert!.Variant, alert.Threshold));
            else
                Assert.Null(alert);
        }
    }

    [Fact]
    public void A_shadow_churn_challenger_is_logged_and_never_alerts()
    {
        var experiment = new ChurnExperiment(Experiment.ChampionChallenger("churn-shadow", ExperimentTarget.Churn, ExperimentMode.Shadow, 0.3), new ChurnAlertPolicy(0, 0));
        var log = new ListShadowLog();
        var (decider, _, _) = Deciders(new DecisionSettings(Churn: new ChurnAlertPolicy(1.01, 0.5), ChurnExperiment: experiment, Shadow: log));
        var challengerUsers = new List<string>();
        for (var u = 0; u < 80; u++)
        {
            var (user, request) = Bidder($"h-{u}");
            var episode = ChurnEpisode.Armed;
            Assert.Null(decider.CheckChurn(user, ref episode, request.EventTime.AddDays(5), "sweep:0:1"));
            Assert.Equal(ChurnEpisode.Armed, episode); // the champion's episode did not move
            if (experiment.Definition.Arm(user.Id).IsChallenger) challengerUsers.Add(user.Id);
        }
        Assert.NotEmpty(challengerUsers);
        Assert.Equal(challengerUsers, log.Scores.Select(s => s.UserId));
        Assert.All(log.Scores, s => Assert.True(s is { Kind: "churn_alert", WouldDecide: true, Score: >= 0 and <= 1 }));
    }

    [Fact]
    public void An_experiment_on_the_wrong_decision_is_refused()
    {
        var onRecs = Experiment.ChampionChallenger("x", ExperimentTarget.Recommendations, ExperimentMode.Split, 0.5);
        Assert.Contains("not Bids", Assert.Throws<ArgumentException>(() => new BidExperiment(onRecs, 0.8)).Message, StringComparison.Ordinal);
        Assert.Contains("not Churn", Assert.Throws<ArgumentException>(() => new ChurnExperiment(onRecs, ChurnAlertPolicy.Default)).Message, StringComparison.Ordinal);
    }

    private static (UserDecider Decider, UserDecider Champion, CampaignBoard Board) Deciders(DecisionSettings settings)
    {
        var board = Bidders.Board();
        return (new UserDecider(CommittedModels.Decision, settings, board),
            new UserDecider(CommittedModels.Decision, new DecisionSettings(Churn: settings.Churn), board), board);
    }

    private static (UserFeatureState User, ClickEvent Request) Bidder(string userId) => Bidders.Bidder(userId);

    private sealed class ListShadowLog : IShadowLog
    {
        public List<ShadowScore> Scores { get; } = [];
        public void Record(ShadowScore score) => Scores.Add(score);
    }
}
