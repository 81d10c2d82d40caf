using System.Runtime.InteropServices;

namespace Engine.Models.Recommendations;

/// <summary>
/// VSKNN's sample: the <c>sampleSize</c> most recent past sessions holding any of the current session's items, each with
/// its similarity to the current session. Postings are newest first (session index order, which is end-time order), so a
/// merge of each item's first <c>sampleSize</c> postings yields the union newest first and stops as soon as the sample is
/// full; the lists whose head is the session popped are exactly the session items it holds, so the merge also sums its
/// similarity (no second pass over each sampled session's items).
/// </summary>
internal static class NeighbourSample
{
    /// <param name="items">The current session's distinct items.</param>
    /// <param name="match">Per item of <paramref name="items"/>: what holding it adds to a neighbour's similarity.</param>
    public static void Take(SessionIndex index, ReadOnlySpan<int> items, ReadOnlySpan<double> match, int sampleSize, RecommendScratch scratch)
    {
        var (sampled, heads, limits) = (scratch.Sampled, scratch.Heads, scratch.Limits);
        heads.Clear();
        limits.Clear();
        foreach (var item in items)
        {
            heads.Add(0);
            limits.Add(Math.Min(index.Postings[item].Length, sampleSize));
        }
        var next = new RecommendScratch.Neighbour(-1, 0);
        while ((next = Pop(index, items, match, heads, limits)).Session >= 0 && sampled.Count < sampleSize) sampled.Add(next);
        if (next.Session < 0 || sampled.Count == 0) return;
        var times = index.SessionTimes;
        var boundary = times[sampled[^1].Session];
        if (times[next.Session] != boundary) return;

        // Sessions ending at the same time straddle the cut: the ones kept are those met first when walking the items'
        // postings in session order (as a stable sort by time of the walked union would keep them).
        var ties = scratch.Ties;
        ties.Clear();
        var kept = 0;
        while (kept < sampled.Count && times[sampled[^(kept + 1)].Session] == boundary) kept++;
        for (var k = sampled.Count - kept; k < sampled.Count; k++) ties.Add(FirstMet(index, items, limits, sampled[k].Session));
        for (; next.Session >= 0 && times[next.Session] == boundary; next = Pop(index, items, match, heads, limits))
            ties.Add(FirstMet(index, items, limits, next.Session));
        CollectionsMarshal.AsSpan(ties).Sort((a, b) => a.List != b.List ? a.List.CompareTo(b.List) : a.Position.CompareTo(b.Position));
        sampled.RemoveRange(sampled.Count - kept, kept);
        // Past the cut an item's list may have stopped at its limit before reaching the session: sum from its items instead.
        for (var k = 0; k < kept; k++) sampled.Add(new(ties[k].Session, Similarity(index.DistinctSessions[ties[k].Session], items, match)));
    }

    /// <summary>
    /// The newest session not yet taken from any item's postings (advancing every list that holds it) with the summed
    /// match of those lists' items, or session -1.
    /// </summary>
    private static RecommendScratch.Neighbour Pop(SessionIndex index, ReadOnlySpan<int> items, ReadOnlySpan<double> match, List<int> heads, List<int> limits)
    {
        var best = -1;
        for (var j = 0; j < items.Length; j++)
            if (heads[j] < limits[j]) best = Math.Max(best, index.Postings[items[j]][heads[j]]);
        if (best < 0) return new(-1, 0);
        double similarity = 0;
        for (var j = 0; j < items.Length; j++)
        {
            if (heads[j] >= limits[j] || index.Postings[items[j]][heads[j]] != best) continue;
            heads[j]++;
            similarity += match[j];
        }
        return new(best, similarity);
    }

    /// <summary>The match summed over the current session's items (in their order, as <see cref="Pop"/> sums) that a session holds.</summary>
    private static double Similarity(int[] sessionItems, ReadOnlySpan<int> items, ReadOnlySpan<double> match)
    {
        double similarity = 0;
        for (var j = 0; j < items.Length; j++)
            if (Array.IndexOf(sessionItems, items[j]) >= 0) similarity += match[j];
        return similarity;
    }

    /// <summary>Where a session is first met walking each item's sampled postings in turn.</summary>
    private static (int Session, int List, int Position) FirstMet(SessionIndex index, ReadOnlySpan<int> items, List<int> limits, int session)
    {
        for (var j = 0; j < items.Length; j++)
        {
            // Postings are in descending session order: search with a reversed comparison.
            var position = Array.BinarySearch(index.Postings[items[j]], 0, limits[j], session, Descending.Instance);
            if (position >= 0) return (session, j, position);
        }
        throw new InvalidOperationException($"session {session} is in no sampled postings list");
    }

    private sealed class Descending : IComparer<int>
    {
        public static readonly Descending Instance = new();
        public int Compare(int a, int b) => b.CompareTo(a);
    }
}
