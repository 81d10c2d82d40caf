namespace Engine.Models.Fairness;

/// <summary>
/// Lock-free counts of one segment and one kind of decision: chances, decisions, and their scores in a thousand bins (read
/// back as ten for the histogram, and as quantiles to 0.001: predicted click-through rates live around 0.01).
/// </summary>
internal sealed class SegmentTally
{
    private const int Bins = 1000;
    private long _opportunities, _decisions, _scored;
    private double _scoreSum;
    private readonly long[] _bins = new long[Bins];
    private readonly Lock _scoreLock = new();

    public void Add(bool decided, double? score)
    {
        Interlocked.Increment(ref _opportunities);
        if (!decided) return;
        Interlocked.Increment(ref _decisions);
        if (score is not { } s || double.IsNaN(s)) return;
        Interlocked.Increment(ref _bins[Math.Clamp((int)(s * Bins), 0, Bins - 1)]);
        Interlocked.Increment(ref _scored);
        lock (_scoreLock) _scoreSum += s;
    }

    public SegmentReport Snapshot(string segment)
    {
        var opportunities = Interlocked.Read(ref _opportunities);
        var decisions = Interlocked.Read(ref _decisions);
        var scored = Interlocked.Read(ref _scored);
        double sum;
        lock (_scoreLock) sum = _scoreSum;
        var fine = _bins.Select(b => Interlocked.Read(ref b)).ToArray();
        var tenths = Enumerable.Range(0, 10).Select(t => fine.Skip(t * Bins / 10).Take(Bins / 10).Sum()).ToList();
        return new SegmentReport(segment, opportunities, decisions, opportunities == 0 ? 0 : decisions / (double)opportunities,
            scored == 0 ? null : Math.Round(sum / scored, 5), tenths, Quantiles(fine));
    }

    /// <summary>The 10th, 50th and 90th percentile of the scores, each the middle of its thousandth; null without scores.</summary>
    private static ScoreQuantiles? Quantiles(long[] bins)
    {
        var total = bins.Sum();
        if (total == 0) return null;
        return new ScoreQuantiles(At(0.1), At(0.5), At(0.9));

        double At(double q)
        {
            var rank = Math.Max(1, (long)Math.Ceiling(q * total));
            long cumulative = 0;
            for (var b = 0; b < bins.Length; b++)
            {
                cumulative += bins[b];
                if (cumulative >= rank) return (b + 0.5) / Bins;
            }
            return 1;
        }
    }
}

/// <summary>Score quantiles of one segment's decisions, to the nearest thousandth.</summary>
public sealed record ScoreQuantiles(double P10, double P50, double P90);
