using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Models.Scoring;
using Engine.Models.Simulation;
using Engine.Training.Features;
using Engine.Training.Ml;

namespace Engine.Training.Data;

/// <summary>
/// One pass over a simulated clickstream, turned into training rows the way the engine would see them:
/// churn rows (user vector at each cutoff, label = no event within the horizon after it) and bid rows (at each
/// impression: the bid features from the events before it, label = clicked), with the simulator's truth beside them.
/// </summary>
public sealed class SimulatedData
{
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(7);

    private SimulatedData(ClickstreamSimulator simulator) => Simulator = simulator;

    public ClickstreamSimulator Simulator { get; }
    public Dataset Churn { get; } = Dataset.Empty(FeatureNames.User);
    /// <summary>Per churn row: whether the user had truly churned at the cutoff (will never come back).</summary>
    public List<bool> ChurnTruth { get; } = [];
    public Dataset Bid { get; } = Dataset.Empty(ModelSchemas.Bid);
    /// <summary>Per bid row: the true click probability of that impression.</summary>
    public List<double> ClickTruth { get; } = [];
    /// <summary>Product-view sessions (item ids in order) with their last event time, for the recommender.</summary>
    public List<(string Session, DateTimeOffset End, List<string> Items)> ViewSessions { get; } = [];
    public long Events { get; private set; }

    /// <param name="cutoffs">Days after the start at which churn rows are taken (each needs <see cref="Horizon"/> after it).</param>
    public static SimulatedData Generate(SimulatorOptions options, IReadOnlyList<int> cutoffs)
    {
        var data = new SimulatedData(new ClickstreamSimulator(options));
        var world = data.Simulator.World;
        var users = world.Users.ToDictionary(u => u.Id, _ => new UserHistory());
        var truth = world.Users.ToDictionary(u => u.Id);
        var campaigns = world.Campaigns.ToDictionary(c => c.Id, _ => new CampaignHistory());
        var campaignTruth = world.Campaigns.ToDictionary(c => c.Id);
        var pendingImpression = new Dictionary<(string, string), int>();
        var sessions = new Dictionary<string, int>(StringComparer.Ordinal);
        // Churn rows are read as each cutoff passes, from the state as it is then (it only moves forward, as the engine's);
        // their labels need the events after, so they are set once the stream has run out.
        var due = cutoffs.Select(day => options.Start + TimeSpan.FromDays(day)).Order().ToList();
        var pending = new List<(string User, DateTimeOffset Cutoff, float[] Row)>();
        void TakeChurnRows(DateTimeOffset cutoff)
        {
            foreach (var u in world.Users)
            {
                var history = users[u.Id];
                if (history.First is not { } first || first >= cutoff) continue;
                var row = new float[FeatureNames.User.Count];
                history.WriteAt(cutoff, row);
                pending.Add((u.Id, cutoff, row));
            }
        }

        foreach (var e in data.Simulator)
        {
            while (due.Count > 0 && e.EventTime >= due[0])
            {
                TakeChurnRows(due[0]);
                due.RemoveAt(0);
            }
            data.Events++;
            var user = users[e.UserId];
            if (e.Type == EventType.AdImpression && e.CampaignId is { } c)
            {
                pendingImpression[(e.UserId, c)] = data.Bid.Count;
                data.Bid.Add(BidRow(user, campaigns[c], campaignTruth[c], e.EventTime), false);
                data.ClickTruth.Add(campaignTruth[c].ClickProbability(truth[e.UserId], e.EventTime));
            }
            if (e.Type == EventType.AdClick && e.CampaignId is { } clicked && pendingImpression.Remove((e.UserId, clicked), out var row))
                data.Bid.Labels[row] = true;
            if (e.CampaignId is { } campaign) campaigns[campaign].Record(e);
            if (e.Type == EventType.ProductView && e.SessionId is { } s && e.ItemId is { } item)
            {
                if (!sessions.TryGetValue(s, out var at)) { sessions[s] = at = data.ViewSessions.Count; data.ViewSessions.Add((s, e.EventTime, [])); }
                data.ViewSessions[at].Items.Add(item);
                data.ViewSessions[at] = data.ViewSessions[at] with { End = e.EventTime };
            }
            user.Add(e);
        }

        foreach (var cutoff in due) TakeChurnRows(cutoff); // past the last event
        foreach (var (user, cutoff, row) in pending)
        {
            data.Churn.Add(row, !users[user].HasEventIn(cutoff, cutoff + Horizon));
            data.ChurnTruth.Add(truth[user].HasChurnedBy(cutoff));
        }
        return data;
    }

    private static readonly BidFeatures BidInputs = new(ModelSchemas.Bid);

    /// <summary>The bid model's row, read by the engine's own <see cref="BidFeatures"/> from the user's and the campaign's state.</summary>
    private static float[] BidRow(UserHistory user, CampaignHistory campaign, SimulatedCampaign truth, DateTimeOffset at)
    {
        var spec = new CampaignSpec { CampaignId = truth.Id, Category = truth.Category, Budget = truth.BudgetUsd, FlightStart = truth.FlightStart, FlightEnd = truth.FlightEnd };
        var row = new float[BidInputs.Width];
        BidInputs.Read(user.State, campaign.At(at).Snapshot(spec, 1.0), user.ReadTimeMs(at), row);
        return row;
    }
}

/// <summary>Name-to-position lookups for the feature vectors.</summary>
public static class FeatureIndex
{
    public static readonly IReadOnlyDictionary<string, int> User =
        FeatureNames.User.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
}
