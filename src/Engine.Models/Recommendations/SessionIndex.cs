namespace Engine.Models.Recommendations;

/// <summary>
/// Past sessions as item-id sequences, in memory: an item vocabulary, each session's items in click order, and per item
/// the sessions that hold it, most recent first (so neighbour sampling takes the newest sessions). Built once by
/// <see cref="SessionIndexBuilder"/>; immutable and safe to share between threads.
/// </summary>
public sealed class SessionIndex
{
    internal SessionIndex(string[] items, int[][] sessions, double[] sessionTimes, int[][] postings, int[] clicks)
    {
        Items = items;
        Sessions = sessions;
        SessionTimes = sessionTimes;
        Postings = postings;
        Clicks = clicks;
        ItemIds = new Dictionary<string, int>(items.Length, StringComparer.Ordinal);
        for (var i = 0; i < items.Length; i++) ItemIds[items[i]] = i;
        // Inverse document frequency: a neighbour matching on a rare item says more than one matching on a best seller.
        Idf = postings.Select(p => Math.Log((double)sessions.Length / Math.Max(1, p.Length))).ToArray();
        DistinctSessions = sessions.Select(s => s.Distinct().ToArray()).ToArray();
    }

    public IReadOnlyList<string> Items { get; }
    internal Dictionary<string, int> ItemIds { get; }
    internal int[][] Sessions { get; }
    /// <summary>Per session: its distinct items in order of first click (what neighbour matching reads, computed once).</summary>
    internal int[][] DistinctSessions { get; }
    internal double[] SessionTimes { get; }
    /// <summary>Per item index: session indices holding it, most recent session first.</summary>
    internal int[][] Postings { get; }
    /// <summary>Per item index: number of clicks in the training period.</summary>
    internal int[] Clicks { get; }
    internal double[] Idf { get; }
    public int SessionCount => Sessions.Length;

    internal bool TryGetItem(string itemId, out int index) => ItemIds.TryGetValue(itemId, out index);
}

/// <summary>Collects (session, item, time) clicks in any order and builds a <see cref="SessionIndex"/>.</summary>
public sealed class SessionIndexBuilder
{
    private readonly Dictionary<string, List<(double Time, string Item)>> _sessions = new(StringComparer.Ordinal);

    public SessionIndexBuilder Add(string sessionId, string itemId, double time)
    {
        if (!_sessions.TryGetValue(sessionId, out var clicks)) _sessions[sessionId] = clicks = [];
        clicks.Add((time, itemId));
        return this;
    }

    public SessionIndex Build()
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var items = new List<string>();
        var ordered = _sessions.Values
            .Select(s => s.OrderBy(c => c.Time).ToList())
            .OrderBy(s => s[^1].Time)
            .ToList();
        var sessions = new int[ordered.Count][];
        var times = new double[ordered.Count];
        for (var s = 0; s < ordered.Count; s++)
        {
            sessions[s] = ordered[s].Select(c => ids.TryGetValue(c.Item, out var i) ? i : Intern(c.Item)).ToArray();
            times[s] = ordered[s][^1].Time;
        }
        var clicks = new int[items.Count];
        var postings = Enumerable.Range(0, items.Count).Select(_ => new List<int>()).ToArray();
        for (var s = sessions.Length - 1; s >= 0; s--)
        {
            foreach (var item in sessions[s]) clicks[item]++;
            foreach (var item in sessions[s].Distinct()) postings[item].Add(s);
        }
        return new SessionIndex(items.ToArray(), sessions, times, postings.Select(p => p.ToArray()).ToArray(), clicks);

        int Intern(string item)
        {
            ids[item] = items.Count;
            items.Add(item);
            return items.Count - 1;
        }
    }
}
