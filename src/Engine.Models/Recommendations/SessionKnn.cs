namespace Engine.Models.Recommendations;

/// <summary>
/// Session-based k-nearest neighbours in the spirit of VSKNN (Ludewig and Jannach 2018): past sessions sharing items
/// with the current one, recent ones sampled first, similar by position-weighted (and idf-weighted) overlap; their items
/// score by similarity, discounted by how far back in the current session the last shared item lies.
/// </summary>
internal static class SessionKnn
{
    public static void Score(SessionIndex index, RecommenderOptions options, ReadOnlySpan<int> session, Dictionary<int, double> scores)
    {
        var weights = new Dictionary<int, double>(session.Length);
        for (var p = 0; p < session.Length; p++)
        {
            var w = options.PositionDecay == PositionDecay.Linear
                ? (p + 1.0) / session.Length
                : 1.0 / (session.Length - p);
            weights[session[p]] = w; // a repeated item keeps its latest (largest) weight
        }

        var candidates = new HashSet<int>();
        foreach (var item in weights.Keys)
        {
            var postings = index.Postings[item];
            // Postings are newest first, so the newest SampleSize of the union lie within each item's first SampleSize.
            for (var i = 0; i < postings.Length && i < options.SampleSize; i++) candidates.Add(postings[i]);
        }
        var sampled = candidates.Count <= options.SampleSize
            ? candidates.ToArray()
            : candidates.OrderByDescending(s => index.SessionTimes[s]).Take(options.SampleSize).ToArray();

        var neighbours = new List<(int Session, double Similarity)>(sampled.Length);
        foreach (var s in sampled)
        {
            double similarity = 0;
            foreach (var item in index.Sessions[s].Distinct())
            {
                if (weights.TryGetValue(item, out var w)) similarity += w * (1 + options.IdfWeight * index.Idf[item]);
            }
            if (similarity > 0) neighbours.Add((s, similarity));
        }
        // Most similar first; among equals the more recent session (higher index) first, so results do not depend on hash order.
        neighbours.Sort((a, b) => b.Similarity != a.Similarity ? b.Similarity.CompareTo(a.Similarity) : b.Session.CompareTo(a.Session));

        foreach (var (s, similarity) in neighbours.Take(options.Neighbours))
        {
            var items = index.Sessions[s];
            var decay = 1.0 / StepsBackToLastShared(session, items);
            foreach (var item in items.Distinct())
                scores[item] = scores.GetValueOrDefault(item) + similarity * decay;
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
