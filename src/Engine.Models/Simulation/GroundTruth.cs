namespace Engine.Models.Simulation;

/// <summary>What the simulator knows about a user and a model can only infer: tastes, engagement, and when (if) they leave.</summary>
public sealed record SimulatedUser(
    string Id,
    IReadOnlyList<string> PreferredCategories,
    double Engagement,
    DateTimeOffset FirstSeen,
    DateTimeOffset? ChurnedAt,
    string Device,
    string Region)
{
    /// <summary>True when the user has stopped coming back by <paramref name="at"/> (their last session started before it).</summary>
    public bool HasChurnedBy(DateTimeOffset at) => ChurnedAt is { } c && c <= at;
}

/// <summary>A campaign's true rates (which drift linearly per day), its budget and flight, and its target category.</summary>
public sealed record SimulatedCampaign(
    string Id,
    string Category,
    double BaseCtr,
    double CtrDriftPerDay,
    double Cvr,
    decimal BudgetUsd,
    decimal BidCpmUsd,
    DateTimeOffset FlightStart,
    DateTimeOffset FlightEnd)
{
    /// <summary>Multiplier on CTR for a user who likes (or does not like) the campaign's category.</summary>
    public const double AffinityBoost = 3.0, NoAffinity = 0.5;

    public double CtrAt(DateTimeOffset at) =>
        Math.Clamp(BaseCtr * (1 + CtrDriftPerDay * (at - FlightStart).TotalDays), 0.0005, 0.5);

    /// <summary>The true click probability of an impression of this campaign shown to <paramref name="user"/>.</summary>
    public double ClickProbability(SimulatedUser user, DateTimeOffset at) =>
        Math.Min(0.9, CtrAt(at) * (user.PreferredCategories.Contains(Category) ? AffinityBoost : NoAffinity));

    public bool InFlight(DateTimeOffset at) => at >= FlightStart && at < FlightEnd;
}
