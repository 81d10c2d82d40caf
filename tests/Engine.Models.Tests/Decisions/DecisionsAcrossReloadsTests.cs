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
}
