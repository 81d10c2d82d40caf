using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Scoring;
using Engine.Models.Tests.Experiments;
using Engine.Models.Tests.Scoring;
using Xunit.Abstractions;

namespace Engine.Models.Tests.Decisions;

/// <summary>A bid's reasons explain the campaign it bids for.</summary>
public sealed class BidReasonsTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = Bidders.Start;

    [Fact]
    public void A_bid_won_on_value_by_a_campaign_less_likely_to_be_clicked_is_explained_by_that_campaigns_features()
    {
        using var churn = new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        var board = new CampaignBoard();
        // "near" is in the category the user browses (likelier to be clicked), "far" is not but pays a hundred times more a click.
        var near = Campaign("near", "c", valuePerClick: 1m);
        var far = Campaign("far", "x", valuePerClick: 100m);
        board.Book(near);
        board.Book(far);
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"), new DecisionSettings(), board);
        var (user, request) = Bidders.Bidder("u-1");
        request = request with { BidRequest = request.BidRequest! with { CandidateCampaigns = ["near", "far"] } };

        var scorer = bid.Current;
        var features = new BidFeatures(scorer.Metadata.Features);
        float[] Row(CampaignSpec spec)
        {
            var row = new float[features.Width];
            features.Read(user, CampaignSnapshot.Booked(spec), user.ReadTimeMs(request.EventTime), row);
            return row;
        }
        var (nearRow, farRow) = (Row(near), Row(far));
        var (nearCtr, farCtr) = (scorer.Score(nearRow).Probability, scorer.Score(farRow).Probability);
        output.WriteLine($"pCTR near {nearCtr:F5}, far {farCtr:F5}");
        Assert.True(nearCtr > farCtr, "the test needs the campaign in the user's category to be the likelier click");

        var decision = decider.Bid(user, request, request.EventTime);
        Assert.Equal("far", decision.CampaignId);
        var expected = Explainer.TopFactors(scorer, farRow);
        output.WriteLine("reasons: " + string.Join(", ", decision.Reasons.Select(r => $"{r.Factor}={r.Value} ({r.Contribution})")));
        Assert.NotEqual(Explainer.TopFactors(scorer, nearRow), expected);
        Assert.Equal(expected, decision.Reasons.Skip(2));
        Assert.Equal(Math.Round(farCtr, 5), decision.PredictedCtr);
    }

    [Fact]
    public void While_the_board_is_still_reading_the_campaigns_at_start_nothing_is_bid_for()
    {
        using var churn = new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        var board = Bidders.Board();
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"), new DecisionSettings(), board);
        var (user, request) = Bidders.Bidder("u-1");

        board.CatchingUp(); // as the campaign feed does at start, until it has read both topics
        var early = decider.Bid(user, request, request.EventTime);
        Assert.Equal((false, NoBidReason.TechnicalError, "campaigns_loading"), (early.Bid, early.Nbr, Assert.Single(early.Reasons).Factor));
        board.CaughtUp();
        Assert.True(decider.Bid(user, request, request.EventTime).Bid);
    }

    /// <summary>
    /// A request stamped a minute into the flight that reached Kafka a minute before it started (a clock running ahead) is
    /// outside the flight; one stamped behind its arrival (replayed, simulated) is held to its stamp.
    /// </summary>
    [Fact]
    public void A_request_stamped_ahead_of_its_arrival_is_held_to_its_flight_at_its_arrival()
    {
        using var churn = new ModelRegistry(ModelFiles.Committed("churn"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(ModelFiles.Committed("bid"), ModelSchemas.Bid);
        var (user, request) = Bidders.Bidder("u-1");
        var board = new CampaignBoard();
        board.Book(Campaign("c", "c", valuePerClick: 100m) with { FlightStart = request.EventTime.AddMinutes(-1), FlightEnd = request.EventTime.AddDays(1) });
        var decider = new UserDecider(new DecisionModels(churn, bid, CommittedModels.Decision.Recommender, "recs-committed"), new DecisionSettings(), board);
        request = request with { BidRequest = request.BidRequest! with { CandidateCampaigns = ["c"] } };

        var ahead = decider.Bid(user, request, request.EventTime, receivedAt: request.EventTime.AddMinutes(-2));
        var behind = decider.Bid(user, request, request.EventTime, receivedAt: request.EventTime.AddDays(300));

        Assert.Equal((false, NoBidReason.OutsideFlight), (ahead.Bid, ahead.Nbr));
        Assert.True(behind.Bid);
    }

    private static CampaignSpec Campaign(string id, string category, decimal valuePerClick) => new()
    {
        CampaignId = id, Budget = 1_000_000m, FlightStart = Start.AddDays(-30), FlightEnd = Start.AddDays(30),
        Category = category, ValuePerClick = valuePerClick, ValuePerConversion = 0m, MaxCpm = 1_000_000m,
    };
}
