using System.Collections.Concurrent;
using Engine.Models.Contracts;

namespace Engine.Models.Recommendations;

/// <summary>
/// The recommendation path the user actors call after each click: candidates from similar past sessions (VSKNN),
/// sequential co-visitation of the last clicks and the session's own items, blended by <see cref="RecommenderOptions"/>;
/// then, when a <see cref="LearnedRanker"/> is given, the best <see cref="RecommenderOptions.RankedDepth"/> of them
/// (with their features in a request of <see cref="RecommenderOptions.RerankDepth"/>) are ranked by its ONNX model; popularity fills the list. Items in <c>exclude</c> (what the user just bought) are
/// never returned. Thread-safe over an immutable <see cref="SessionIndex"/>: each request works in a pooled
/// <see cref="RecommendScratch"/>, so serving allocates little beyond the returned list.
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
    private readonly double[] _matchWeights;
    /// <summary>Scratch memory per concurrent request, shared by every recommender over the same index.</summary>
    private readonly ConcurrentBag<RecommendScratch> _scratch;

    public SessionRecommender(SessionIndex index, RecommenderOptions? options = null, LearnedRanker? ranker = null)
        : this(index, Build(index, options ?? new RecommenderOptions()), ranker)
    {
    }

    private SessionRecommender(SessionIndex index, (RecommenderOptions Options, CoVisitationIndex Rules, int[] Popular) built, LearnedRanker? ranker)
        : this(index, built.Rules, built.Popular, built.Options, ranker, [])
    {
    }

    private SessionRecommender(SessionIndex index, CoVisitationIndex rules, int[] popular, RecommenderOptions options, LearnedRanker? ranker,
        ConcurrentBag<RecommendScratch> scratch)
    {
        (_index, _rules, _popular, Options, Ranker, _scratch) = (index, rules, popular, options, ranker, scratch);
        _matchWeights = index.Idf.Select(idf => 1 + options.IdfWeight * idf).ToArray();
    }

    private static (RecommenderOptions, CoVisitationIndex, int[]) Build(SessionIndex index, RecommenderOptions options) =>
        (options, CoVisitationIndex.Build(index, options.RuleWindow, options.RuleNeighbours),
            Enumerable.Range(0, index.Items.Count).OrderByDescending(i => index.Clicks[i]).ThenBy(i => i).Take(500).ToArray());

    public RecommenderOptions Options { get; }
    public LearnedRanker? Ranker { get; }
    public SessionIndex Index => _index;

    /// <summary>Same indexes, other blending knobs (for tuning without rebuilding; the co-visitation window stays).</summary>
    public SessionRecommender With(RecommenderOptions options) => new(_index, _rules, _popular, options, Ranker, _scratch);

    /// <summary>Same indexes and knobs, another final stage (null: rank by the blended score).</summary>
    public SessionRecommender With(LearnedRanker? ranker) => new(_index, _rules, _popular, Options, ranker, _scratch);

    /// <param name="sessionItems">The session's clicked items, oldest first.</param>
    /// <param name="exclude">Items never to return (e.g. bought in this session).</param>
    public IReadOnlyList<RecommendedItem> Recommend(IReadOnlyList<string> sessionItems, IReadOnlySet<string>? exclude, int count)
    {
        var scratch = Rent();
        try
        {
            return Recommend(scratch, sessionItems, exclude, count);
        }
        finally
        {
            _scratch.Add(scratch);
        }
    }

    private List<RecommendedItem> Recommend(RecommendScratch scratch, IReadOnlyList<string> sessionItems, IReadOnlySet<string>? exclude, int count)
    {
        var ranked = new List<RecommendedItem>(count);
        if (Ranker is null)
        {
            foreach (var c in Candidates(scratch, sessionItems, exclude, count, count, out _))
                ranked.Add(new RecommendedItem(c.ItemId, Math.Round(c.Blend, 6), c.Reason));
        }
        else
        {
            // The ranker scores the best RankedDepth by blend, each with its features in the full RerankDepth request.
            var depth = Math.Max(count, Options.RerankDepth);
            var candidates = Candidates(scratch, sessionItems, exclude, depth, Math.Clamp(Options.RankedDepth, count, depth), out var inRequest);
            if (candidates.Length > 0)
            {
                var (rows, probabilities) = scratch.RankerBuffers(candidates.Length, CandidateFeatures.Width);
                Ranker.Score(candidates, inRequest, rows, probabilities);
                var order = scratch.Order(candidates.Length);
                // Most probable first, ties in blend order: a total order, so the heap's first ones are those of a full sort.
                var shown = TopK.Select(order, count, new ByProbability(probabilities));
                for (var r = 0; r < shown; r++)
                    ranked.Add(new RecommendedItem(candidates[order[r]].ItemId, Math.Round(probabilities[order[r]], 6), candidates[order[r]].Reason));
            }
        }
        if (ranked.Count >= count) return ranked;
        // Popularity fills what the session could not: cold sessions, unknown items.
        var offered = new HashSet<string>(ranked.Count, StringComparer.Ordinal);
        foreach (var r in ranked) offered.Add(r.ItemId);
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
        var scratch = Rent();
        try
        {
            return Candidates(scratch, sessionItems, exclude, depth, depth, out _).ToArray();
        }
        finally
        {
            _scratch.Add(scratch);
        }
    }

    private RecommendScratch Rent() => _scratch.TryTake(out var scratch) ? scratch : new RecommendScratch(_index);

    /// <summary>
    /// The first <paramref name="built"/> of the best <paramref name="depth"/> candidates, and how many the request of
    /// <paramref name="depth"/> holds (a feature of each candidate). Only the built ones are ordered (a bounded heap).
    /// </summary>
    private ReadOnlySpan<RankingCandidate> Candidates(RecommendScratch scratch, IReadOnlyList<string> sessionItems,
        IReadOnlySet<string>? exclude, int depth, int built, out int inRequest)
    {
        scratch.Clear();
        var session = scratch.Session;
        for (var s = 0; s < sessionItems.Count; s++) // indexed: no enumerator through the interface
            if (_index.TryGetItem(sessionItems[s], out var i)) session.Add(i);
        inRequest = 0;
        if (session.Count == 0) return [];

        var (knn, rules, last, own, ownCount, blended) = (scratch.Knn, scratch.Rules, scratch.Last, scratch.Own, scratch.OwnCount, scratch.Blended);
        SessionKnn.Score(_index, Options, _matchWeights, scratch);
        for (var back = 1; back <= Options.RuleHistory && back <= session.Count; back++)
            foreach (var (item, weight) in _rules.After(session[^back]))
                rules.Add(item, weight / back);
        foreach (var (item, weight) in _rules.After(session[^1])) last.Set(item, weight);
        for (var p = 0; p < session.Count; p++)
        {
            own.Set(session[p], (p + 1.0) / session.Count);
            ownCount.Add(session[p], 1);
        }

        Blend(scratch, knn, 1.0, FromSimilarSessions);
        Blend(scratch, rules, Options.RuleWeight, FromCoVisited);
        Blend(scratch, own, Options.SessionItemWeight, FromInSession);

        double knnMax = knn.Max(), rulesMax = rules.Max(), lastMax = last.Max();
        if (scratch.Ranked.Length < blended.Count) scratch.Ranked = new int[blended.Count * 2];
        var excluded = scratch.Excluded;
        if (exclude is { Count: > 0 })
            foreach (var id in exclude)
                if (_index.TryGetItem(id, out var item)) excluded.Set(item, 1);
        var kept = 0;
        foreach (var item in blended.Touched)
            if (!excluded.Contains(item)) scratch.Ranked[kept++] = item;
        // ByScore is a total order (ties by item), so the heap's first ones are exactly those of a full sort.
        var ordered = TopK.Select(scratch.Ranked.AsSpan(0, kept), Math.Min(depth, built), new ItemScores.ByScore(blended.Values));
        knn.Rank(scratch.Ranked.AsSpan(0, ordered));
        rules.Rank(scratch.Ranked.AsSpan(0, ordered));
        var candidates = scratch.Candidates(ordered);
        for (var rank = 0; rank < ordered; rank++)
        {
            var item = scratch.Ranked[rank];
            candidates[rank] = new RankingCandidate(
                item, _index.Items[item], blended.Get(item), rank,
                knn.Get(item) / knnMax, knn.RankOf(item, CandidateFeatures.Unranked),
                rules.Get(item) / rulesMax, rules.RankOf(item, CandidateFeatures.Unranked),
                last.Get(item) / lastMax,
                own.Get(item), (int)ownCount.Get(item), item == session[^1],
                _index.Clicks[item], session.Count, BlendSources[scratch.Reasons[item]]);
        }
        inRequest = Math.Min(kept, depth);
        return candidates;
    }

    /// <summary>Higher probability first, then the earlier candidate (blend order).</summary>
    private readonly struct ByProbability(float[] probabilities) : IComparer<int>
    {
        public int Compare(int a, int b) =>
            probabilities[a] != probabilities[b] ? probabilities[b].CompareTo(probabilities[a]) : a.CompareTo(b);
    }

    // A blended item's reason is kept as its source's index into BlendSources: a plain byte store per item, where a string
    // reference goes through the array's covariance check and the GC write barrier (~900 stores per list).
    private static readonly string[] BlendSources = [SimilarSessions, CoVisited, InSession];
    private const byte FromSimilarSessions = 0, FromCoVisited = 1, FromInSession = 2;

    /// <summary>
    /// Adds one source scaled to a max of <paramref name="weight"/>; the reason is the source that gave the most (compared
    /// with the largest single share so far: before 2026-12-07 with the sum of the earlier ones, so the third source named
    /// an item only when it outweighed the first two together).
    /// </summary>
    private static void Blend(RecommendScratch scratch, ItemScores source, double weight, byte reason)
    {
        if (source.Count == 0 || weight == 0) return;
        var (into, reasons, largest) = (scratch.Blended, scratch.Reasons, scratch.LargestShare);
        var max = source.Max();
        foreach (var item in source.Touched)
        {
            var add = weight * source.Values[item] / max;
            if (!into.Contains(item) || add > largest[item]) (reasons[item], largest[item]) = (reason, add);
            into.Set(item, into.Get(item) + add);
        }
    }
}
