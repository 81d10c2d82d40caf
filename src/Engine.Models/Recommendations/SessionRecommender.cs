using System.Runtime.InteropServices;
using Engine.Models.Contracts;

namespace Engine.Models.Recommendations;

/// <summary>
/// The recommendation path the user actors call after each click: candidates from similar past sessions (VSKNN),
/// sequential co-visitation of the last clicks and the session's own items, blended by <see cref="RecommenderOptions"/>;
/// then, when a <see cref="LearnedRanker"/> is given, the best <see cref="RecommenderOptions.RerankDepth"/> of them
/// are ranked by its ONNX model; popularity fills the list. Items in <c>exclude</c> (what the user just bought) are
/// never returned. Thread-safe over an immutable <see cref="SessionIndex"/>.
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

    public SessionRecommender(SessionIndex index, RecommenderOptions? options = null, LearnedRanker? ranker = null)
    {
        _index = index;
        Options = options ?? new RecommenderOptions();
        Ranker = ranker;
        _rules = CoVisitationIndex.Build(index, Options.RuleWindow, Options.RuleNeighbours);
        _popular = Enumerable.Range(0, index.Items.Count).OrderByDescending(i => index.Clicks[i]).ThenBy(i => i).Take(500).ToArray();
    }

    private SessionRecommender(SessionIndex index, CoVisitationIndex rules, int[] popular, RecommenderOptions options, LearnedRanker? ranker)
    {
        (_index, _rules, _popular, Options, Ranker) = (index, rules, popular, options, ranker);
    }

    public RecommenderOptions Options { get; }
    public LearnedRanker? Ranker { get; }
    public SessionIndex Index => _index;

    /// <summary>Same indexes, other blending knobs (for tuning without rebuilding; the co-visitation window stays).</summary>
    public SessionRecommender With(RecommenderOptions options) => new(_index, _rules, _popular, options, Ranker);

    /// <summary>Same indexes and knobs, another final stage (null: rank by the blended score).</summary>
    public SessionRecommender With(LearnedRanker? ranker) => new(_index, _rules, _popular, Options, ranker);

    /// <param name="sessionItems">The session's clicked items, oldest first.</param>
    /// <param name="exclude">Items never to return (e.g. bought in this session).</param>
    public IReadOnlyList<RecommendedItem> Recommend(IReadOnlyList<string> sessionItems, IReadOnlySet<string>? exclude, int count)
    {
        var depth = Ranker is null ? count : Math.Max(count, Options.RerankDepth);
        var candidates = Candidates(sessionItems, exclude, depth);
        List<RecommendedItem> ranked;
        if (Ranker is null)
        {
            ranked = candidates.Select(c => new RecommendedItem(c.ItemId, Math.Round(c.Blend, 6), c.Reason)).ToList();
        }
        else
        {
            var probabilities = Ranker.Score(candidates);
            ranked = Enumerable.Range(0, candidates.Count)
                .OrderByDescending(i => probabilities[i]).ThenBy(i => i)
                .Take(count)
                .Select(i => new RecommendedItem(candidates[i].ItemId, Math.Round(probabilities[i], 6), candidates[i].Reason))
                .ToList();
        }
        // Popularity fills what the session could not: cold sessions, unknown items.
        var offered = ranked.Select(r => r.ItemId).ToHashSet(StringComparer.Ordinal);
        foreach (var item in _popular)
        {
            if (ranked.Count >= count) break;
            var id = _index.Items[item];
            if (offered.Contains(id) || (exclude is not null && exclude.Contains(id))) continue;
            ranked.Add(new RecommendedItem(id, 0, Popular));
        }
        return ranked;
    }

    /// <summary>
    /// The best <paramref name="depth"/> candidates by blended score with every source's view of them (what the
    /// re-ranker is trained and served on); never an item in <paramref name="exclude"/>.
    /// </summary>
    public IReadOnlyList<RankingCandidate> Candidates(IReadOnlyList<string> sessionItems, IReadOnlySet<string>? exclude, int depth)
    {
        var session = new List<int>(sessionItems.Count);
        foreach (var id in sessionItems)
            if (_index.TryGetItem(id, out var i)) session.Add(i);
        if (session.Count == 0) return [];

        var knn = new Dictionary<int, double>();
        var rules = new Dictionary<int, double>();
        var last = new Dictionary<int, double>();
        var own = new Dictionary<int, double>();
        var ownCount = new Dictionary<int, int>();
        SessionKnn.Score(_index, Options, CollectionsMarshal.AsSpan(session), knn);
        for (var back = 1; back <= Options.RuleHistory && back <= session.Count; back++)
            foreach (var (item, weight) in _rules.After(session[^back]))
                rules[item] = rules.GetValueOrDefault(item) + weight / back;
        foreach (var (item, weight) in _rules.After(session[^1])) last[item] = weight;
        for (var p = 0; p < session.Count; p++)
        {
            own[session[p]] = (p + 1.0) / session.Count;
            ownCount[session[p]] = ownCount.GetValueOrDefault(session[p]) + 1;
        }

        var blended = new Dictionary<int, (double Score, string Reason)>();
        Blend(blended, knn, 1.0, SimilarSessions);
        Blend(blended, rules, Options.RuleWeight, CoVisited);
        Blend(blended, own, Options.SessionItemWeight, InSession);

        var knnRank = Ranks(knn);
        var rulesRank = Ranks(rules);
        double knnMax = Max(knn), rulesMax = Max(rules), lastMax = Max(last);
        return blended
            .Where(kv => exclude is null || !exclude.Contains(_index.Items[kv.Key]))
            .OrderByDescending(kv => kv.Value.Score).ThenBy(kv => kv.Key)
            .Take(depth)
            .Select((kv, rank) => new RankingCandidate(
                kv.Key, _index.Items[kv.Key], kv.Value.Score, rank,
                knn.GetValueOrDefault(kv.Key) / knnMax, knnRank.GetValueOrDefault(kv.Key, CandidateFeatures.Unranked),
                rules.GetValueOrDefault(kv.Key) / rulesMax, rulesRank.GetValueOrDefault(kv.Key, CandidateFeatures.Unranked),
                last.GetValueOrDefault(kv.Key) / lastMax,
                own.GetValueOrDefault(kv.Key), ownCount.GetValueOrDefault(kv.Key), kv.Key == session[^1],
                _index.Clicks[kv.Key], session.Count, kv.Value.Reason))
            .ToList();
    }

    private static double Max(Dictionary<int, double> source) => source.Count == 0 ? 1 : source.Values.Max();

    /// <summary>0-based rank of every item within one source, strongest first (ties by item index).</summary>
    private static Dictionary<int, int> Ranks(Dictionary<int, double> source)
    {
        var ranks = new Dictionary<int, int>(source.Count);
        var rank = 0;
        foreach (var kv in source.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)) ranks[kv.Key] = rank++;
        return ranks;
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
