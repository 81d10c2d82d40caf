using Engine.Models.Contracts;

namespace Engine.Models.Recommendations;

/// <summary>
/// The recommendation path the user actors call after each click: candidates from similar past sessions (VSKNN),
/// sequential co-visitation of the last clicks, the session's own items, then popularity to fill the list; each source
/// scaled to a maximum of 1 and blended by <see cref="RecommenderOptions"/>. Items in <c>exclude</c> (what the user
/// just bought) are never returned. Pure and thread-safe over an immutable <see cref="SessionIndex"/>.
/// </summary>
public sealed class SessionRecommender
{
    public const string SimilarSessions = "similar_sessions";
    public const string CoVisited = "co_visited";
    public const string InSession = "in_session";
    public const string Popular = "popular";

    private readonly SessionIndex _index;
    private readonly CoVisitationIndex _rules;
    private readonly int[] _popular;

    public SessionRecommender(SessionIndex index, RecommenderOptions? options = null)
    {
        _index = index;
        Options = options ?? new RecommenderOptions();
        _rules = CoVisitationIndex.Build(index, Options.RuleWindow, Options.RuleNeighbours);
        _popular = Enumerable.Range(0, index.Items.Count).OrderByDescending(i => index.Clicks[i]).ThenBy(i => i).Take(500).ToArray();
    }

    private SessionRecommender(SessionIndex index, CoVisitationIndex rules, int[] popular, RecommenderOptions options)
    {
        (_index, _rules, _popular, Options) = (index, rules, popular, options);
    }

    public RecommenderOptions Options { get; }

    /// <summary>Same indexes, other blending knobs (for tuning without rebuilding; the co-visitation window stays).</summary>
    public SessionRecommender With(RecommenderOptions options) => new(_index, _rules, _popular, options);

    /// <param name="sessionItems">The session's clicked items, oldest first.</param>
    /// <param name="exclude">Items never to return (e.g. bought in this session).</param>
    public IReadOnlyList<RecommendedItem> Recommend(IReadOnlyList<string> sessionItems, IReadOnlySet<string>? exclude, int count)
    {
        var session = new List<int>(sessionItems.Count);
        foreach (var id in sessionItems)
            if (_index.TryGetItem(id, out var i)) session.Add(i);

        var knn = new Dictionary<int, double>();
        var rules = new Dictionary<int, double>();
        var own = new Dictionary<int, double>();
        if (session.Count > 0)
        {
            SessionKnn.Score(_index, Options, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(session), knn);
            for (var back = 1; back <= Options.RuleHistory && back <= session.Count; back++)
                foreach (var (item, weight) in _rules.After(session[^back]))
                    rules[item] = rules.GetValueOrDefault(item) + weight / back;
            for (var p = 0; p < session.Count; p++) own[session[p]] = (p + 1.0) / session.Count;
        }

        var blended = new Dictionary<int, (double Score, string Reason)>();
        Blend(blended, knn, 1.0, SimilarSessions);
        Blend(blended, rules, Options.RuleWeight, CoVisited);
        Blend(blended, own, Options.SessionItemWeight, InSession);

        var ranked = blended
            .Where(kv => exclude is null || !exclude.Contains(_index.Items[kv.Key]))
            .OrderByDescending(kv => kv.Value.Score).ThenBy(kv => kv.Key)
            .Take(count)
            .Select(kv => new RecommendedItem(_index.Items[kv.Key], Math.Round(kv.Value.Score, 6), kv.Value.Reason))
            .ToList();
        // Popularity fills what the session could not: cold sessions, unknown items.
        foreach (var item in _popular)
        {
            if (ranked.Count >= count) break;
            var id = _index.Items[item];
            if (blended.ContainsKey(item) || (exclude is not null && exclude.Contains(id))) continue;
            ranked.Add(new RecommendedItem(id, 0, Popular));
        }
        return ranked;
    }

    /// <summary>Adds one source scaled to a max of <paramref name="weight"/>; the reason is the source that gave the most.</summary>
    private static void Blend(Dictionary<int, (double Score, string Reason)> into, Dictionary<int, double> source, double weight, string reason)
    {
        if (source.Count == 0 || weight == 0) return;
        var max = source.Values.Max();
        foreach (var (item, raw) in source)
        {
            var add = weight * raw / max;
            var (score, why) = into.GetValueOrDefault(item, (0, reason));
            var best = score == 0 || add > score ? reason : why;
            into[item] = (score + add, best);
        }
    }
}
