using Engine.Models.Decisions;

namespace Engine.Models.Tests.Decisions;

public class ChurnAlertPolicyTests
{
    private static int AlertsFor(params double[] probabilities)
    {
        var policy = ChurnAlertPolicy.Default;
        var episode = ChurnEpisode.Armed;
        var alerts = 0;
        foreach (var p in probabilities)
        {
            var next = policy.Next(episode, p);
            if (ChurnAlertPolicy.ShouldAlert(episode, next)) alerts++;
            episode = next;
        }
        return alerts;
    }

    [Fact]
    public void Hovering_around_the_threshold_alerts_once() =>
        Assert.Equal(1, AlertsFor(0.2, 0.71, 0.69, 0.72, 0.68, 0.75, 0.9));

    [Fact]
    public void A_user_who_recovers_and_churns_again_gets_a_second_alert() =>
        Assert.Equal(2, AlertsFor(0.8, 0.3, 0.8));

    [Fact]
    public void Below_threshold_never_alerts() =>
        Assert.Equal(0, AlertsFor(0.1, 0.5, 0.69, 0.3));
}
