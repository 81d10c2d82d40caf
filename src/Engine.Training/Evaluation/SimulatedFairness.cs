using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Fairness;
using Engine.Models.Features;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Models.Simulation;

namespace Engine.Training.Evaluation;

/// <summary>
/// Fairness of the engine's decisions on the simulator: the committed models (models/) decide on a simulated clickstream
/// the way each user actor does (a list after a page event, an answer to each bid request, a churn score at most hourly of
/// event time), and <see cref="FairnessMonitor"/> counts rates and scores by device, region and new vs returning. Alerts the
/// node's sweeper raises on silence are not replayed here: churn rates are those of alerts raised on an event.
/// </summary>
public static class SimulatedFairness
{
    /// <summary>Events replayed: enough for every segment to pass the monitor's minimum, and a minute or so on this machine.</summary>
    public const long Events = 150_000;

    public sealed record Result(long Events, string Models, long MinOpportunities, FairnessReport Report);

    public static Result Run(int seed, int users, string modelsDirectory, FairnessSettings settings, TextWriter log)
    {
        using var churn = new ModelRegistry(Path.Combine(modelsDirectory, "churn", "model.onnx"), ModelSchemas.Churn);
        using var bid = new ModelRegistry(Path.Combine(modelsDirectory, "bid", "model.onnx"), ModelSchemas.Bid);
        var recs = Path.Combine(modelsDirectory, "recs");
        var recommender = RecommenderFiles.Load(recs);
        // The version of the re-ranker loaded (its model.json checked against its bytes), as the engine stamps it: not a second read of the file.
        var models = new DecisionModels(churn, bid, recommender, recommender.Ranker?.Version
            ?? throw new ModelLoadException($"Model file '{Path.Combine(recs, RecommenderFiles.RankerFile)}' does not exist: the fairness replay decides as the engine serves, re-ranked."));
        var simulator = new ClickstreamSimulator(new SimulatorOptions { Seed = seed + 1, Users = users });
        var board = new CampaignBoard();
        foreach (var c in simulator.World.Campaigns)
            board.Book(new CampaignSpec
            {
                CampaignId = c.Id, Category = c.Category, Budget = c.BudgetUsd, FlightStart = c.FlightStart, FlightEnd = c.FlightEnd,
                ValuePerClick = c.BidCpmUsd, ValuePerConversion = c.BidCpmUsd * 10, MaxCpm = c.BidCpmUsd * 4,
            });
        var decider = new UserDecider(models, new DecisionSettings(), board);
        var monitor = new FairnessMonitor(settings);
        var replays = new Dictionary<string, UserReplay>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var evt in simulator.Take((int)Events))
        {
            if (!replays.TryGetValue(evt.UserId, out var user)) replays[evt.UserId] = user = new UserReplay(evt.UserId);
            var (decisions, returning) = user.Decide(decider, evt, offset++);
            monitor.Observe(evt, returning, decisions);
        }
        var report = monitor.Report();
        log.WriteLine($"  simulator fairness: {offset:N0} events, {report.Dimensions.Count} dimensions, {report.Warnings.Count()} under the disparity ratio {settings.MinDisparityRatio}");
        return new Result(offset, $"churn {churn.Version}, bid {bid.Version}, recommendations {models.RecommenderVersion}", settings.MinOpportunities, report);
    }

    /// <summary>One user's state between events, as the user actor keeps it.</summary>
    private sealed class UserReplay(string userId)
    {
        private readonly UserFeatureState _state = new(userId);
        private readonly HashSet<string> _bought = new(StringComparer.Ordinal);
        private RecommendationMemo _memo;
        private ChurnEpisode _episode = ChurnEpisode.Armed;
        private DateTimeOffset _churnScoredAt = DateTimeOffset.MinValue;
        private string? _session;
        private bool _returning;

        public (List<IDecision> Decisions, bool Returning) Decide(UserDecider decider, ClickEvent evt, long offset)
        {
            if (evt.SessionId != _session) _returning = _state.LastEventMs != Engine.Models.Features.State.EntityFeatureState.NoEvent;
            _state.Apply(evt, new EventPosition(0, offset));
            if (evt.SessionId != _session)
            {
                _session = evt.SessionId;
                _bought.Clear();
            }
            if (evt is { Type: EventType.Purchase, ItemId: { } item }) _bought.Add(item);
            var decisions = new List<IDecision>(2);
            switch (evt.Type)
            {
                case EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase:
                    if (decider.Recommend(_state, evt, _bought, ref _memo) is { } list) decisions.Add(list);
                    break;
                case EventType.BidRequest:
                    decisions.Add(decider.Bid(_state, evt, evt.EventTime));
                    break;
            }
            if (_episode == ChurnEpisode.Alerted || evt.EventTime - _churnScoredAt >= TimeSpan.FromHours(1))
            {
                _churnScoredAt = evt.EventTime;
                if (decider.CheckChurn(_state, ref _episode, evt.EventTime, evt.EventId) is { } alert) decisions.Add(alert);
            }
            _state.DrainChanges();
            return (decisions, _returning);
        }
    }
}
