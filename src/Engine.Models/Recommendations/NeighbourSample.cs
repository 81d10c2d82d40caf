using System.Runtime.InteropServices;

namespace Engine.Models.Recommendations;

/// <summary>
/// VSKNN's sample: the <c>sampleSize</c> most recent past sessions holding any of the current session's items. Postings
/// are newest first (session index order, which is end-time order), so a merge of each item's first <c>sampleSize</c>
/// postings yields the union newest first, and stops as soon as the sample is full.
/// </summary>
internal static class NeighbourSample
{
    public static void Take(SessionIndex index, ReadOnlySpan<int> items, int sampleSize, RecommendScratch scratch)
    {
        var (sampled, heads, limits) = (scratch.Sampled, scratch.Heads, scratch.Limits);
        heads.Clear();
        limits.Clear();
        foreach (var item in items)
        {
            heads.Add(0);
            limits.Add(Math.Min(index.Postings[item].Length, sampleSize));
        }
        var next = -1;
        while ((next = Pop(index, items, heads, limits)) >= 0 && sampled.Count < sampleSize) sampled.Add(next);
        if (next < 0 || sampled.Count == 0) return;
        var times = index.SessionTimes;
        var boundary = times[sampled[^1]];
        if (times[next] != boundary) return;

        // Sessions ending at the same time straddle the cut: the ones kept are those met first when walking the items'
        // postings in session order (as a stable sort by time of the walked union would keep them).
        var ties = scratch.Ties;
        ties.Clear();
        var kept = 0;
        while (kept < sampled.Count && times[sampled[^(kept + 1)]] == boundary) kept++;
        for (var k = sampled.Count - kept; k < sampled.Count; k++) ties.Add(FirstMet(index, items, limits, sampled[k]));
        for (; next >= 0 && times[next] == boundary; next = Pop(index, items, heads, limits)) ties.Add(FirstMet(index, items, limits, next));
        CollectionsMarshal.AsSpan(ties).Sort((a, b) => a.List != b.List ? a.List.CompareTo(b.List) : a.Position.CompareTo(b.Position));
        sampled.RemoveRange(sampled.Count - kept, kept);
        for (var k = 0; k < kept; k++) sampled.Add(ties[k].Session);
    }

    /// <summary>The newest session not yet taken from any item's postings (advancing every list that holds it), or -1.</summary>
    private static int Pop(SessionIndex index, ReadOnlySpan<int> items, List<int> heads, List<int> limits)
    {
        var best = -1;
        for (var j = 0; j < items.Length; j++)
            if (heads[j] < limits[j]) best = Math.Max(best, index.Postings[items[j]][heads[j]]);
        if (best < 0) return -1;
        for (var j = 0; j < items.Length; j++)
            if (heads[j] < limits[j] && index.Postings[items[j]][heads[j]] == best) heads[j]++;
        return best;
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
