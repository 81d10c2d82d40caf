using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Experiments;
using Engine.Models.Features;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Models.Tests.Scoring;

namespace Engine.Models.Tests.Experiments;

/// <summary>The committed recommender (learned ranker) against the same candidates ranked by blended score.</summary>
public sealed class RecommendationExperimentTests
{
    private static readonly List<string> KnownItems =
        File.ReadLines(Path.Combine(Path.GetDirectoryName(ModelFiles.Committed("recs"))!, RecommenderFiles.SessionsFile))
            .Take(200).SelectMany(l => l.Split('\t')[1].Split(' ')).Distinct().ToList();

    [Fact]
    public void In_split_mode_each_user_is_served_by_their_arm_and_every_list_names_it()
    {
        var experiment = RecommendationExperiment.RankerVersusBlend(
            Experiment.ChampionChallenger("ranker-vs-blend", ExperimentTarget.Recommendations, ExperimentMode.Split, 0.5), CommittedModels.Decision.Recommender);
        var decider = new UserDecider(CommittedModels.Decision, new DecisionSettings(RecommendationExperiment: experiment), new CampaignBoard());
        var arms = new Dictionary<string, int>();
        for (var u = 0; u < 60; u++)
        {
            var (user, cause, session) = Browsing($"u-{u}", u);
            var memo = new RecommendationMemo();
            var list = decider.Recommend(user, cause, new HashSet<string>(), ref memo)!;
            var (variant, isChallenger) = experiment.Arm(user.Id);
            Assert.Equal(variant.Name, list.Variant);
            var expected = (isChallenger ? experiment.Challenger : experiment.Champion).Recommend(session, new HashSet<string>(), 10);
            Assert.Equal(expected.Select(i => i.ItemId), list.Items.Select(i => i.ItemId));
            // Stamped with the version of the recommender that made the list: the blend is not the ranker.
            Assert.Equal(CommittedModels.Decision.RecommenderVersion + (isChallenger ? "+blend" : ""), list.ModelVersion);
            arms[variant.Name] = arms.GetValueOrDefault(variant.Name) + 1;
        }
        Assert.Equal(2, arms.Count); // both arms served someone
    }

    [Fact]
    public void A_shadow_challenger_is_scored_and_counted_but_never_served()
    {
        var experiment = RecommendationExperiment.RankerVersusBlend(
            Experiment.ChampionChallenger("ranker-vs-blend-shadow", ExperimentTarget.Recommendations, ExperimentMode.Shadow, 0.5), CommittedModels.Decision.Recommender);
        var decider = new UserDecider(CommittedModels.Decision, new DecisionSettings(RecommendationExperiment: experiment), new CampaignBoard());
        var challengers = 0;
        var overlaps = new List<double>();
        for (var u = 0; u < 60; u++)
        {
            var (user, cause, session) = Browsing($"s-{u}", u);
            var memo = new RecommendationMemo();
            var list = decider.Recommend(user, cause, new HashSet<string>(), ref memo)!;
            Assert.Equal("champion", list.Variant); // the champion decides for everyone
            Assert.Equal(CommittedModels.Decision.Recommender.Recommend(session, new HashSet<string>(), 10).Select(i => i.ItemId), list.Items.Select(i => i.ItemId));
            if (!experiment.Arm(user.Id).IsChallenger) continue;
            challengers++;
            // What the challenger (the blend alone) lists, against what was served: the share it has in common.
            var shadow = experiment.Challenger.Recommend(session, new HashSet<string>(), 10);
            overlaps.Add(shadow.Count(i => list.Items.Any(s => s.ItemId == i.ItemId)) / (double)shadow.Count);
        }
        var (scored, overlap) = experiment.Shadow;
        Assert.Equal(challengers, scored); // every challenger-arm user was scored in shadow...
        Assert.True(challengers > 0);
        Assert.Equal(overlaps.Average(), overlap, 5); // ...and compared with what was served

        // A replayed cause (after a crash or a rebalance) gets its list again, and is not scored in shadow twice.
        for (var u = 0; u < 60; u++)
        {
            var (user, cause, _) = Browsing($"s-{u}", u);
            var memo = new RecommendationMemo();
            Assert.NotNull(decider.Recommend(user, cause, new HashSet<string>(), ref memo, replay: true));
        }
        Assert.Equal(challengers, experiment.Shadow.Scored); // before 2026-12-06: twice as many
    }

    private static (UserFeatureState User, ClickEvent Cause, List<string> Session) Browsing(string userId, int seed)
    {
        var user = new UserFeatureState(userId);
        var session = Enumerable.Range(0, 3).Select(i => KnownItems[(seed * 7 + i * 13) % KnownItems.Count]).ToList();
        ClickEvent? last = null;
        for (var i = 0; i < session.Count; i++)
        {
            last = new ClickEvent
            {
                EventId = $"{userId}-{i}", EventTime = DateTimeOffset.UnixEpoch.AddDays(20_000).AddMinutes(i), UserId = userId,
                SessionId = userId + "-s", Type = EventType.ProductView, ItemId = session[i], Category = "c",
            };
            user.Apply(last, new EventPosition(0, seed * 10 + i));
        }
        return (user, last!, session);
    }
}
