namespace Engine.Models.Decisions;

/// <summary>
/// One alert per churn episode: alert when the probability reaches <see cref="Threshold"/>, then stay quiet
/// until it falls below <see cref="RearmBelow"/> (the user came back), so a user hovering near the
/// threshold does not cause an alert storm.
/// </summary>
public sealed record ChurnAlertPolicy(double Threshold, double RearmBelow)
{
    public static ChurnAlertPolicy Default { get; } = new(0.7, 0.5);

    /// <summary>
    /// The policy a churn model ships with: <c>thresholds.alert</c> in its model.json (else the default 0.7) and
    /// <c>thresholds.rearm</c> (else 0.2 below the alert threshold, or half way to 0 for a threshold under 0.4; at most the
    /// default 0.5). Never 0 for a threshold above it: no probability is below 0, so before 2026-12-07 a threshold of 0.2 or
    /// less without a rearm level alerted each user once for ever (an explicit <c>rearm</c> of 0 still does, as chosen).
    /// </summary>
    public static ChurnAlertPolicy From(Scoring.ModelMetadata model)
    {
        var threshold = model.Thresholds.TryGetValue("alert", out var alert) ? alert : Default.Threshold;
        var rearm = model.Thresholds.TryGetValue("rearm", out var below) ? below
            : Math.Min(Default.RearmBelow, Math.Round(threshold - Math.Min(0.2, threshold / 2), 9));
        return threshold == Default.Threshold && rearm == Default.RearmBelow ? Default : new(threshold, rearm);
    }

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
