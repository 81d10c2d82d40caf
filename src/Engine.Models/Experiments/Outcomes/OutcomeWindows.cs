namespace Engine.Models.Experiments.Outcomes;

/// <summary>How long after a decision its outcome may come, in event time (the clickstream's clock, not the wall clock).</summary>
/// <param name="Click">A view/cart/purchase of a recommended item, or an ad click after a bid, counts within this.</param>
/// <param name="Conversion">A purchase of a recommended item, or any purchase after the ad click, counts within this.</param>
/// <param name="ChurnFollowUp">A user alerted as churning who has any event within this came back. Alerts whose horizon
/// runs past the end of the stream are left out: whether those users return is not known yet.</param>
public sealed record OutcomeWindows(TimeSpan Click, TimeSpan Conversion, TimeSpan ChurnFollowUp)
{
    public static OutcomeWindows Default { get; } = new(TimeSpan.FromMinutes(30), TimeSpan.FromHours(24), TimeSpan.FromDays(7));
}
