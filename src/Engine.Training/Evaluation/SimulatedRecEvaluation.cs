using Engine.Models.Recommendations;
using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary>
/// Recommendations on the simulator: index the product-view sessions that ended before day <see cref="CutoffDay"/>,
/// then stream the next <see cref="TestSessions"/> sessions through <see cref="SessionRecommender"/> (blend alone and
/// with the learned re-ranker) and score HitRate@10 / MRR@10 against "the 10 most viewed items".
/// </summary>
public static class SimulatedRecEvaluation
{
    public const int CutoffDay = 21;
    /// <summary>The first sessions after the cutoff that are scored (enough for three decimals, and quick).</summary>
    public const int TestSessions = 4_000;

    public sealed record Result(int Positions, double HitRate, double Mrr, double BlendHitRate, double BlendMrr, double PopularityHitRate, double PopularityMrr);

    public static DateTimeOffset Cutoff(SimulatedData data) => data.Simulator.World.Options.Start + TimeSpan.FromDays(CutoffDay);

    public static SessionIndex Index(SimulatedData data)
    {
        var cutoff = Cutoff(data);
        var builder = new SessionIndexBuilder();
        foreach (var (session, end, items) in data.ViewSessions.Where(s => s.End < cutoff))
            for (var i = 0; i < items.Count; i++) builder.Add(session, items[i], end.ToUnixTimeSeconds() + i * 1e-3);
        return builder.Build();
    }

    /// <param name="skip">Sessions after the cutoff to pass over first: the re-ranker's own training sessions, when <paramref name="data"/>
    /// is the training world and the figures are its validation.</param>
    public static Result Run(SimulatedData data, LearnedRanker ranker, TextWriter log, int skip = 0)
    {
        var cutoff = Cutoff(data);
        var blend = new SessionRecommender(Index(data));
        var learned = blend.With(ranker);
        var popular = data.ViewSessions.Where(s => s.End < cutoff).SelectMany(s => s.Items)
            .GroupBy(i => i, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(10).Select(g => g.Key).ToList();

        var positions = 0;
        double hits = 0, rr = 0, blendHits = 0, blendRr = 0, popularHits = 0, popularRr = 0;
        foreach (var (_, _, items) in data.ViewSessions.Where(s => s.End >= cutoff).Skip(skip).Take(TestSessions))
            for (var p = 0; p + 1 < items.Count; p++)
            {
                positions++;
                var prefix = SessionInput.After(items, p + 1);
                Count(learned.Recommend(prefix, null, 10).Select(r => r.ItemId).ToList(), items[p + 1], ref hits, ref rr);
                Count(blend.Recommend(prefix, null, 10).Select(r => r.ItemId).ToList(), items[p + 1], ref blendHits, ref blendRr);
                Count(popular, items[p + 1], ref popularHits, ref popularRr);
            }
        var result = new Result(positions, hits / positions, rr / positions, blendHits / positions, blendRr / positions, popularHits / positions, popularRr / positions);
        log.WriteLine($"  simulator recommendations{(skip > 0 ? " (validation)" : "")}: {positions} positions, HR@10 {result.HitRate:F4} MRR@10 {result.Mrr:F4} (blend alone {result.BlendHitRate:F4} / {result.BlendMrr:F4}); popularity HR@10 {result.PopularityHitRate:F4} MRR@10 {result.PopularityMrr:F4}");
        return result;
    }

    private static void Count(List<string> top, string next, ref double hits, ref double rr)
    {
        var rank = top.IndexOf(next);
        if (rank >= 0) { hits++; rr += 1.0 / (rank + 1); }
    }
}
