namespace Engine.Models.Recommendations;

/// <summary>
/// The working memory of one recommendation request, sized to a <see cref="SessionIndex"/> and reused: one request at a
/// time per instance (the recommender rents one per call from a pool), so serving allocates almost nothing.
/// </summary>
internal sealed class RecommendScratch
{
    public RecommendScratch(SessionIndex index)
    {
        var items = index.Items.Count;
        (Weights, Knn, Rules, Last, Own, OwnCount, Blended, Excluded) =
            (new(items), new(items), new(items), new(items), new(items), new(items), new(items), new(items));
        Reasons = new byte[items];
        LargestShare = new double[items];
    }

    /// <summary>The current session's items (index positions), oldest first.</summary>
    public List<int> Session { get; } = new(32);
    /// <summary>Per distinct session item: its matching weight (latest position wins).</summary>
    public ItemScores Weights { get; }
    public ItemScores Knn { get; }
    public ItemScores Rules { get; }
    public ItemScores Last { get; }
    public ItemScores Own { get; }
    public ItemScores OwnCount { get; }
    public ItemScores Blended { get; }
    /// <summary>The request's excluded items the index knows.</summary>
    public ItemScores Excluded { get; }
    /// <summary>Per blended item: which source gave it the most, as the recommender numbers them (valid where <see cref="Blended"/> holds the item).</summary>
    public byte[] Reasons { get; }
    /// <summary>Per blended item: the largest share one source gave it (valid where <see cref="Blended"/> holds the item).</summary>
    public double[] LargestShare { get; }
    /// <summary>Sampled neighbour sessions and their similarities.</summary>
    public List<Neighbour> Sampled { get; } = new(1024);
    private PostingsMerge _merge = new(32);

    /// <summary>The merge state over <paramref name="lists"/> postings lists (to be filled by the caller).</summary>
    public PostingsMerge Merge(int lists)
    {
        if (_merge.Lists.Length < lists) _merge = new PostingsMerge(lists * 2);
        _merge.Count = lists;
        return _merge;
    }
    public List<(int Session, int List, int Position)> Ties { get; } = new(16);
    /// <summary>The blended candidates left after exclusion, to be ordered.</summary>
    public int[] Ranked { get; set; } = new int[256];

    private RankingCandidate[] _candidates = new RankingCandidate[128];

    /// <summary>Room for the request's <paramref name="count"/> best candidates.</summary>
    public Span<RankingCandidate> Candidates(int count)
    {
        if (_candidates.Length < count) _candidates = new RankingCandidate[count];
        return _candidates.AsSpan(0, count);
    }

    private double[] _match = new double[32];

    /// <summary>Per distinct session item (in <see cref="Weights"/> touched order): what holding it adds to a neighbour's similarity.</summary>
    public Span<double> Match(int count)
    {
        if (_match.Length < count) _match = new double[count * 2];
        return _match.AsSpan(0, count);
    }

    private float[] _rows = new float[64 * 16];
    private float[] _probabilities = new float[64];
    private int[] _order = new int[64];

    /// <summary>The learned ranker's input rows and outputs for <paramref name="count"/> candidates, grown as needed.</summary>
    public (float[] Rows, float[] Probabilities) RankerBuffers(int count, int width)
    {
        if (_rows.Length < count * width) _rows = new float[count * width];
        if (_probabilities.Length < count) _probabilities = new float[count];
        return (_rows, _probabilities);
    }

    /// <summary>0 .. count-1, to be sorted into the ranker's order.</summary>
    public Span<int> Order(int count)
    {
        if (_order.Length < count) _order = new int[count];
        var order = _order.AsSpan(0, count);
        for (var i = 0; i < count; i++) order[i] = i;
        return order;
    }

    public void Clear()
    {
        Session.Clear();
        Weights.Clear(); Knn.Clear(); Rules.Clear(); Last.Clear(); Own.Clear(); OwnCount.Clear(); Blended.Clear(); Excluded.Clear();
        Sampled.Clear();
    }

    public readonly record struct Neighbour(int Session, double Similarity);

    /// <summary>
    /// Per session item's postings list: the list, how far the sample reads it, the merge's position in it and the
    /// session there (-1 once read to its limit), so a merge step compares plain ints.
    /// </summary>
    public sealed class PostingsMerge(int capacity)
    {
        public int Count { get; set; }
        public int[][] Lists { get; } = new int[capacity][];
        public int[] Limits { get; } = new int[capacity];
        public int[] Positions { get; } = new int[capacity];
        public int[] Heads { get; } = new int[capacity];
    }

    /// <summary>Most similar first; among equals the more recent session (higher index) first.</summary>
    public readonly struct BySimilarity : IComparer<Neighbour>
    {
        public int Compare(Neighbour a, Neighbour b) =>
            b.Similarity != a.Similarity ? b.Similarity.CompareTo(a.Similarity) : b.Session.CompareTo(a.Session);
    }
}
