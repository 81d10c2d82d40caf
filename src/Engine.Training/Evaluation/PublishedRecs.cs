using Engine.Training.Data;

namespace Engine.Training.Evaluation;

/// <summary>Scores the published baselines' top lists (recoms_rsc15_100k_*.csv) with the same rule as ours, so they sit side by side.</summary>
public static class PublishedRecs
{
    public static Dictionary<string, SessionRecEvaluation.Score> Score(string folder, List<YooChoose.Session> test, int k = 20)
    {
        var sessions = test.ToDictionary(s => s.Id, s => s.Items, StringComparer.Ordinal);
        var scores = new Dictionary<string, SessionRecEvaluation.Score>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, "recoms_rsc15_100k_*.csv").Order(StringComparer.Ordinal))
        {
            int rows = 0, hits = 0;
            double rr = 0;
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var parts = line.Split(';');
                if (!sessions.TryGetValue(parts[0], out var items)) continue;
                var p = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                if (p + 1 >= items.Count) continue;
                rows++;
                var rank = parts[2].Split(',').Where(x => x.Length > 0).Take(k).ToList().IndexOf(items[p + 1]);
                if (rank >= 0) { hits++; rr += 1.0 / (rank + 1); }
            }
            var name = Path.GetFileNameWithoutExtension(file)["recoms_rsc15_100k_".Length..];
            scores[name] = new SessionRecEvaluation.Score(rows, hits / (double)Math.Max(1, rows), rr / Math.Max(1, rows));
        }
        return scores;
    }
}
