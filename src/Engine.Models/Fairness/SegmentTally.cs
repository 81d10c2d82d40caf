namespace Engine.Models.Fairness;

/// <summary>Lock-free counts of one segment and one kind of decision: chances, decisions, and their scores in ten bins.</summary>
internal sealed class SegmentTally
{
    private long _opportunities, _decisions, _scored;
    private double _scoreSum;
    private readonly long[] _bins = new long[10];
    private readonly Lock _scoreLock = new();

    public void Add(bool decided, double? score)
    {
        Interlocked.Increment(ref _opportunities);
        if (!decided) return;
        Interlocked.Increment(ref _decisions);
        if (score is not { } s || double.IsNaN(s)) return;
        Interlocked.Increment(ref _bins[Math.Clamp((int)(s * 10), 0, 9)]);
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
        return new SegmentReport(segment, opportunities, decisions, opportunities == 0 ? 0 : decisions / (double)opportunities,
            scored == 0 ? null : Math.Round(sum / scored, 5), _bins.Select(b => Interlocked.Read(ref b)).ToList());
    }
}
