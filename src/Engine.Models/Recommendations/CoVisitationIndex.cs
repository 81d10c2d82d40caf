namespace Engine.Models.Recommendations;

/// <summary>
/// Sequence-aware co-visitation ("sequential rules"): for every item, the items clicked after it in the same session,
/// weighted 1/gap for gaps up to <c>window</c> clicks, keeping only the top <c>maxNeighbours</c> per item so memory is
/// bounded by items x maxNeighbours whatever the traffic.
/// </summary>
public sealed class CoVisitationIndex
{
    private readonly (int Item, float Weight)[][] _next;

    private CoVisitationIndex((int Item, float Weight)[][] next) => _next = next;

    public static CoVisitationIndex Build(SessionIndex index, int window = 10, int maxNeighbours = 200)
    {
        var counts = Enumerable.Range(0, index.Items.Count).Select(_ => new Dictionary<int, float>()).ToArray();
        foreach (var session in index.Sessions)
        {
            for (var p = 0; p < session.Length; p++)
            {
                for (var q = p + 1; q < session.Length && q - p <= window; q++)
                {
                    if (session[q] == session[p]) continue;
                    var row = counts[session[p]];
                    row[session[q]] = row.GetValueOrDefault(session[q]) + 1f / (q - p);
                }
            }
        }
        var next = counts
            .Select(row => row.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(maxNeighbours)
                .Select(kv => (kv.Key, kv.Value)).ToArray())
            .ToArray();
        return new CoVisitationIndex(next);
    }

    /// <summary>Items seen after <paramref name="item"/> (an index in the <see cref="SessionIndex"/>), strongest first.</summary>
    internal ReadOnlySpan<(int Item, float Weight)> After(int item) => _next[item];
}
