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
        var sampled = scratch.Sampled;
        var merge = scratch.Merge(items.Length);
        for (var j = 0; j < items.Length; j++)
        {
            var postings = index.Postings[items[j]];
            merge.Lists[j] = postings;
            merge.Limits[j] = Math.Min(postings.Length, sampleSize);
            merge.Positions[j] = 0;
            merge.Heads[j] = merge.Limits[j] > 0 ? postings[0] : -1;
        }
        var next = new RecommendScratch.Neighbour(-1, 0);
        while ((next = Pop(merge, match)).Session >= 0 && sampled.Count < sampleSize) sampled.Add(next);
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
        for (var k = sampled.Count - kept; k < sampled.Count; k++) ties.Add(FirstMet(merge, sampled[k].Session));
        for (; next.Session >= 0 && times[next.Session] == boundary; next = Pop(merge, match))
            ties.Add(FirstMet(merge, next.Session));
        CollectionsMarshal.AsSpan(ties).Sort((a, b) => a.List != b.List ? a.List.CompareTo(b.List) : a.Position.CompareTo(b.Position));
        sampled.RemoveRange(sampled.Count - kept, kept);
        // Past the cut an item's list may have stopped at its limit before reaching the session: sum from its items instead.
        for (var k = 0; k < kept; k++) sampled.Add(new(ties[k].Session, Similarity(index.DistinctSessions[ties[k].Session], items, match)));
    }

    /// <summary>
    /// The newest session not yet taken from any item's postings (advancing every list that holds it) with the summed
    /// match of those lists' items, or session -1.
    /// </summary>
    private static RecommendScratch.Neighbour Pop(RecommendScratch.PostingsMerge merge, ReadOnlySpan<double> match)
    {
        var heads = merge.Heads.AsSpan(0, match.Length);
        var best = -1;
        foreach (var head in heads) best = Math.Max(best, head);
        if (best < 0) return new(-1, 0);
        double similarity = 0;
        for (var j = 0; j < heads.Length; j++)
        {
            if (heads[j] != best) continue;
            var position = ++merge.Positions[j];
            heads[j] = position < merge.Limits[j] ? merge.Lists[j][position] : -1;
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
    private static (int Session, int List, int Position) FirstMet(RecommendScratch.PostingsMerge merge, int session)
    {
        for (var j = 0; j < merge.Count; j++)
        {
            // Postings are in descending session order: search with a reversed comparison.
            var position = Array.BinarySearch(merge.Lists[j], 0, merge.Limits[j], session, Descending.Instance);
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
