using Engine.Training.Ml;

namespace Engine.Training.Tests.Evaluation;

/// <summary>The BG/NBD likelihood is a probability distribution over what a customer can do in the calibration period.</summary>
public sealed class BgNbdTests
{
    /// <summary>Fader, Hardie and Lee's CDNOW fit (weeks).</summary>
    private static readonly BgNbd Published = new(0.243, 4.414, 0.793, 2.426);

    [Fact]
    public void The_likelihood_over_every_purchase_count_and_last_purchase_time_sums_to_one()
    {
        // The likelihood leaves out the earlier purchases' times: integrating them out multiplies by t_x^(x-1) / (x-1)!.
        const double horizon = 39;
        const int steps = 2000;
        var total = Math.Exp(Published.LogLikelihood(new BgNbd.Summary(0, 0, horizon)));
        for (var x = 1; x <= 150; x++)
        {
            double Density(double tx) => tx == 0 && x > 1 ? 0
                : Math.Exp(Published.LogLikelihood(new BgNbd.Summary(x, tx, horizon)) + (x - 1) * Math.Log(Math.Max(tx, 1e-300)) - Special.LogGamma(x));
            var h = horizon / steps;
            var simpson = Density(0) + Density(horizon);
            for (var s = 1; s < steps; s++) simpson += (s % 2 == 1 ? 4 : 2) * Density(s * h);
            total += simpson * h / 3;
        }

        Assert.Equal(1.0, total, 4);
    }

    [Fact]
    public void A_customer_without_repeat_purchases_is_alive_and_silence_grows_with_the_horizon()
    {
        var none = new BgNbd.Summary(0, 0, 30);
        var quiet = new BgNbd.Summary(4, 5, 30);
        var recent = new BgNbd.Summary(4, 29, 30);

        Assert.Equal(1.0, Published.ProbabilityAlive(none));
        Assert.True(Published.ProbabilityAlive(quiet) < Published.ProbabilityAlive(recent));
        Assert.True(Published.ProbabilityNoPurchase(recent, 10) < Published.ProbabilityNoPurchase(recent, 5));
        Assert.True(Published.ProbabilityNoPurchase(quiet, 39) > Published.ProbabilityNoPurchase(recent, 39));
    }
}
