namespace Engine.Benchmarks.E2e;

/// <summary>
/// When each event of a fixed-rate phase arrives: a Poisson stream, as the clicks of many independent users are (one by
/// one, with the clustering of chance), conditioned on the phase's count arriving in exactly count / rate seconds so
/// the phase keeps its rate. Exponential gaps scaled to that total are such a stream (their partial sums are sorted
/// uniform draws); the gaps are drawn twice from the same seed, once for their sum, so nothing is stored per event.
/// Deterministic for a seed.
/// </summary>
internal sealed class PoissonArrivals
{
    private readonly Random _gaps;
    private readonly double _scale;
    private double _due;

    public PoissonArrivals(int count, double rate, int seed)
    {
        var sum = 0.0;
        var draws = new Random(seed);
        for (var i = 0; i < count; i++) sum += Gap(draws);
        _scale = count / rate / sum;
        _gaps = new Random(seed);
    }

    /// <summary>The next event's arrival, from the phase's start.</summary>
    public TimeSpan Next()
    {
        _due += Gap(_gaps) * _scale;
        return TimeSpan.FromSeconds(_due);
    }

    private static double Gap(Random random) => -Math.Log(1 - random.NextDouble());
}
