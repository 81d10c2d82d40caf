namespace Engine.Models.Simulation;

/// <summary>Size and pace of a simulated shop; the same options and <see cref="Seed"/> always give the same events.</summary>
public sealed record SimulatorOptions
{
    public int Seed { get; init; } = 42;
    public int Users { get; init; } = 2_000;
    public int Campaigns { get; init; } = 20;
    public int Items { get; init; } = 2_000;
    public int Categories { get; init; } = 20;
    public DateTimeOffset Start { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public TimeSpan Duration { get; init; } = TimeSpan.FromDays(28);
    /// <summary>Mean sessions per user per day for an average user: with <see cref="Users"/>, this sets the event-time rate.</summary>
    public double SessionsPerUserPerDay { get; init; } = 0.7;
    /// <summary>Mean days an average user keeps coming back before churning (engaged users stay longer).</summary>
    public double MeanLifetimeDays { get; init; } = 25;
    /// <summary>Chance that a page view carries a bid request from the ad exchange.</summary>
    public double BidRequestRate { get; init; } = 0.5;
    /// <summary>Chance that an impression on offer goes to one of the candidate campaigns (the exchange's auction).</summary>
    public double WinRate { get; init; } = 0.6;
}
