namespace Engine.Testing;

/// <summary>Bytes a warm call allocates on the calling thread.</summary>
public static class Allocations
{
    /// <summary>
    /// The fewest bytes this thread allocated over <paramref name="calls"/> calls of <paramref name="call"/>, of a few
    /// rounds: the runtime may allocate once on the thread while it swaps in a method's optimized code mid-loop (seen once
    /// in CI: 6,576 bytes in one round), whereas an allocation per call shows in every round.
    /// </summary>
    public static long QuietestRound(Action call, int calls = 100, int rounds = 5)
    {
        var quietest = long.MaxValue;
        for (var round = 0; round < rounds; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < calls; i++) call();
            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return quietest;
    }
}
