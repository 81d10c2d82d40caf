namespace Engine.Models.Decisions;

/// <summary>
/// One alert per churn episode: alert when the probability reaches <see cref="Threshold"/>, then stay quiet
/// until it falls below <see cref="RearmBelow"/> (the user came back), so a user hovering near the
/// threshold does not cause an alert storm.
/// </summary>
public sealed record ChurnAlertPolicy(double Threshold, double RearmBelow)
{
    public static ChurnAlertPolicy Default { get; } = new(0.7, 0.5);

    public ChurnEpisode Next(ChurnEpisode current, double probability) => current switch
    {
        ChurnEpisode.Armed when probability >= Threshold => ChurnEpisode.Alerted,
        ChurnEpisode.Alerted when probability < RearmBelow => ChurnEpisode.Armed,
        _ => current,
    };

    /// <summary>True when moving from <paramref name="before"/> to <paramref name="after"/> must emit an alert.</summary>
    public static bool ShouldAlert(ChurnEpisode before, ChurnEpisode after) =>
        before == ChurnEpisode.Armed && after == ChurnEpisode.Alerted;
}

public enum ChurnEpisode
{
    /// <summary>No open episode: the next crossing alerts.</summary>
    Armed,
    /// <summary>Alerted for the current episode: quiet until the user recovers.</summary>
    Alerted,
}
