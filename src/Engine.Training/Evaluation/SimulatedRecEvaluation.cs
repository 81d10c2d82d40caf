using Engine.Models.Recommendations;
using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary>
/// Recommendations on the simulator: index the product-view sessions that ended before day 21, then stream the next
/// <see cref="TestSessions"/> sessions through <see cref="SessionRecommender"/> and score HitRate@10 / MRR@10 against "the 10 most viewed items".
/// </summary>
public static class SimulatedRecEvaluation
{
    /// <summary>The first sessions after the cutoff that are scored (enough for three decimals, and quick).</summary>
    public const int TestSessions = 4_000;

    public sealed record Result(int Positions, double HitRate, double Mrr, double PopularityHitRate, double PopularityMrr);

    public static Result Run(SimulatedData data, TextWriter log)
    {
        var cutoff = data.Simulator.World.Options.Start + TimeSpan.FromDays(21);
        var builder = new SessionIndexBuilder();
        var popularity = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (session, end, items) in data.ViewSessions.Where(s => s.End < cutoff))
            for (var i = 0; i < items.Count; i++)
            {
                builder.Add(session, items[i], i);
                popularity[items[i]] = popularity.GetValueOrDefault(items[i]) + 1;
            }
        var recommender = new SessionRecommender(builder.Build());
        var popular = popularity.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(10).Select(kv => kv.Key).ToList();

        int positions = 0, hits = 0, popularHits = 0;
        double rr = 0, popularRr = 0;
        foreach (var (_, end, items) in data.ViewSessions.Where(s => s.End >= cutoff).Take(TestSessions))
            for (var p = 0; p + 1 < items.Count; p++)
            {
                positions++;
                var top = recommender.Recommend(items.Take(p + 1).ToList(), null, 10).Select(r => r.ItemId).ToList();
                var rank = top.IndexOf(items[p + 1]);
                if (rank >= 0) { hits++; rr += 1.0 / (rank + 1); }
                var popularRank = popular.IndexOf(items[p + 1]);
                if (popularRank >= 0) { popularHits++; popularRr += 1.0 / (popularRank + 1); }
            }
        var result = new Result(positions, hits / (double)positions, rr / positions, popularHits / (double)positions, popularRr / positions);
        log.WriteLine($"  simulator recommendations: {positions} positions, HR@10 {result.HitRate:F4} MRR@10 {result.Mrr:F4}; popularity HR@10 {result.PopularityHitRate:F4} MRR@10 {result.PopularityMrr:F4}");
        return result;
    }
}
