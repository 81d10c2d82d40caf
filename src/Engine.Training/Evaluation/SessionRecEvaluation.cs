using System.Globalization;
using System.Text;
using Engine.Models.Contracts;
using Engine.Models.Recommendations;
using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary>
/// The session-rec protocol: stream each test session through <see cref="SessionRecommender"/>, after every click ask
/// for the top k, and score whether (HitRate) and how high (MRR) the next click is.
/// </summary>
public static class SessionRecEvaluation
{
    public sealed record Score(int Positions, double HitRate, double Mrr);

    public static SessionIndex Index(IEnumerable<YooChoose.Session> sessions)
    {
        var builder = new SessionIndexBuilder();
        foreach (var s in sessions)
            foreach (var (time, item) in s.Clicks) builder.Add(s.Id, item, time);
        return builder.Build();
    }

    /// <param name="csv">When given, receives the top lists in the session-rec recommendations format (for score_session_recs.py).</param>
    public static Score Run(SessionRecommender recommender, IEnumerable<YooChoose.Session> test, int k, StringBuilder? csv = null) =>
        Run(seen => recommender.Recommend(seen, exclude: null, k), test, k, csv);

    /// <summary>
    /// The protocol with any recommender: after click p of a session (asked with <see cref="SessionInput.After"/>, as the
    /// engine serves) the target is click p + 1, repeats included, so a session of n clicks gives n - 1 positions; a hit
    /// is the target among the first <paramref name="k"/> of the list, scoring 1 / rank for MRR. The rule of score_session_recs.py.
    /// </summary>
    public static Score Run(Func<List<string>, IReadOnlyList<RecommendedItem>> recommend, IEnumerable<YooChoose.Session> test, int k, StringBuilder? csv = null)
    {
        int positions = 0, hits = 0;
        double reciprocal = 0;
        csv?.Append("SessionId;Position;Recommendations;Scores\n");
        foreach (var session in test)
        {
            var items = session.Items;
            for (var p = 0; p + 1 < items.Count; p++)
            {
                var top = recommend(SessionInput.After(items, p + 1)).Take(k).ToList();
                positions++;
                var rank = IndexOf(top, items[p + 1]);
                if (rank >= 0) { hits++; reciprocal += 1.0 / (rank + 1); }
                csv?.Append(CultureInfo.InvariantCulture,
                    $"{session.Id};{p};{string.Join(',', top.Select(t => t.ItemId))};{string.Join(',', top.Select(t => t.Score.ToString("R", CultureInfo.InvariantCulture)))}\n");
            }
        }
        return new Score(positions, hits / (double)Math.Max(1, positions), reciprocal / Math.Max(1, positions));
    }

    private static int IndexOf(List<RecommendedItem> top, string item)
    {
        for (var i = 0; i < top.Count; i++)
            if (top[i].ItemId == item) return i;
        return -1;
    }
}
