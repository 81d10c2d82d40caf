using Engine.Models.Contracts;
using Engine.Models.Decisions;
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
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch.AddDays(20_000);

    [Fact]
    public void Bids_and_churn_alerts_never_fail_while_their_models_are_reloaded()
    {
        using var churn = new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        var board = new CampaignBoard();
        board.Book(new CampaignSpec
        {
            CampaignId = "camp-1", Budget = 1_000_000m, FlightStart = Start.AddDays(-30), FlightEnd = Start.AddDays(30),
            Category = "c", ValuePerClick = 500m, ValuePerConversion = 2_000m, MaxCpm = 1_000_000m,
        });
        // Every armed check alerts (threshold 0), so every check scores and then explains.
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"),
            new DecisionSettings(Churn: new ChurnAlertPolicy(0, -1)), board);
        var (user, request) = Bidder("u-1");

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

    private static (UserFeatureState User, ClickEvent Request) Bidder(string userId)
    {
        var user = new UserFeatureState(userId);
        for (var i = 0; i < 3; i++)
            user.Apply(new ClickEvent
            {
                EventId = $"{userId}-{i}", EventTime = Start.AddMinutes(i), UserId = userId, SessionId = userId + "-s",
                Type = EventType.ProductView, ItemId = $"item-{i}", Category = "c",
            }, new EventPosition(0, i));
        var request = new ClickEvent
        {
            EventId = userId + "-bid", EventTime = Start.AddMinutes(5), UserId = userId, SessionId = userId + "-s", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = userId + "-req", Imp = [new Impression { Id = "1", BidFloor = 0.01m }], CandidateCampaigns = ["camp-1"] },
        };
        user.Apply(request, new EventPosition(0, 3));
        return (user, request);
    }
}
