using System.Runtime.InteropServices;

namespace Engine.Models.Recommendations;

/// <summary>
/// Session-based k-nearest neighbours in the spirit of VSKNN (Ludewig and Jannach 2018): past sessions sharing items
/// with the current one, recent ones sampled first, similar by position-weighted (and idf-weighted) overlap; their items
/// score by similarity, discounted by how far back in the current session the last shared item lies. Works in the
/// request's <see cref="RecommendScratch"/>: dense arrays by item and session, no per-call collections.
/// </summary>
internal static class SessionKnn
{
    /// <param name="matchWeights">Per item: <c>1 + IdfWeight * idf</c>.</param>
    public static void Score(SessionIndex index, RecommenderOptions options, double[] matchWeights, RecommendScratch scratch)
    {
        var session = CollectionsMarshal.AsSpan(scratch.Session);
        var weights = scratch.Weights;
        for (var p = 0; p < session.Length; p++)
        {
            var w = options.PositionDecay == PositionDecay.Linear
                ? (p + 1.0) / session.Length
                : 1.0 / (session.Length - p);
            weights.Set(session[p], w); // a repeated item keeps its latest (largest) weight
        }
        var touched = weights.Touched;
        var match = scratch.Match(touched.Length);
        for (var j = 0; j < touched.Length; j++) match[j] = weights.Get(touched[j]) * matchWeights[touched[j]];
        NeighbourSample.Take(index, touched, match, options.SampleSize, scratch);

        var neighbours = CollectionsMarshal.AsSpan(scratch.Sampled);
        var found = 0;
        foreach (var n in neighbours)
            if (n.Similarity > 0) neighbours[found++] = n;
        // Most similar first; among equals the more recent session first, so results do not depend on sampling order.
        var kept = TopK.Select(neighbours[..found], options.Neighbours, new RecommendScratch.BySimilarity());

        var scores = scratch.Knn;
        for (var n = 0; n < kept; n++)
        {
            var (s, similarity) = neighbours[n];
            var items = index.DistinctSessions[s];
            var decay = 1.0 / StepsBackToLastShared(session, items);
            foreach (var item in items) scores.Add(item, similarity * decay);
        }
    }

    private static int StepsBackToLastShared(ReadOnlySpan<int> session, int[] neighbour)
    {
        for (var step = 1; step <= session.Length; step++)
        {
            if (Array.IndexOf(neighbour, session[session.Length - step]) >= 0) return step;
        }
        return session.Length;
    }
}
