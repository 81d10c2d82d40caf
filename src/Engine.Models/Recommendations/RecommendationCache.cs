using System.Collections.Concurrent;
using Engine.Models.Contracts;

namespace Engine.Models.Recommendations;

/// <summary>
/// Top lists by session (the last few distinct items, oldest first) for requests that exclude nothing: the
/// recommender is deterministic over an immutable index, so two users with the same recent items get the same list
/// (first clicks of sessions hit often: one item, a few thousand possibilities). Bounded: past <c>capacity</c> entries
/// it starts afresh rather than tracking recency on the hot path. Thread-safe.
/// </summary>
public sealed class RecommendationCache(SessionRecommender recommender, int capacity = 100_000)
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<RecommendedItem>> _lists = new(StringComparer.Ordinal);

    public SessionRecommender Recommender => recommender;

    public IReadOnlyList<RecommendedItem> Recommend(IReadOnlyList<string> sessionItems, IReadOnlySet<string>? exclude, int count)
    {
        if (exclude is { Count: > 0 }) return recommender.Recommend(sessionItems, exclude, count);
        var key = count + "\u001f" + string.Join('\u001f', sessionItems);
        if (_lists.TryGetValue(key, out var cached)) return cached;
        var list = recommender.Recommend(sessionItems, exclude, count).ToArray();
        if (_lists.Count >= capacity) _lists.Clear();
        _lists[key] = list;
        return list;
    }
}
