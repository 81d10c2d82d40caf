using System.Globalization;
using System.Text;

namespace Engine.Models.Recommendations;

/// <summary>
/// The recommender on disk, one folder (e.g. <c>models/recs/</c>): <c>sessions.txt</c>, the past sessions the indexes
/// are built from (one line per session, oldest first: end time in seconds, a tab, the item ids separated by spaces),
/// and the re-ranker <c>model.onnx</c> + <c>model.json</c>. The co-visitation and neighbour indexes are rebuilt at load:
/// they are derived data, and the sessions are a fraction of their size.
/// </summary>
public static class RecommenderFiles
{
    public const string SessionsFile = "sessions.txt";
    public const string RankerFile = "model.onnx";

    /// <summary>Writes the sessions of <paramref name="index"/> (item ids must not contain whitespace).</summary>
    public static void WriteSessions(SessionIndex index, string directory)
    {
        Directory.CreateDirectory(directory);
        using var writer = new StreamWriter(Path.Combine(directory, SessionsFile), append: false, new UTF8Encoding(false));
        for (var s = 0; s < index.Sessions.Length; s++)
        {
            writer.Write(index.SessionTimes[s].ToString("R", CultureInfo.InvariantCulture));
            writer.Write('\t');
            writer.Write(string.Join(' ', index.Sessions[s].Select(i => index.Items[i])));
            writer.Write('\n');
        }
    }

    public static SessionIndex ReadSessions(string directory)
    {
        var path = Path.Combine(directory, SessionsFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Recommender sessions '{path}' do not exist: run ./engine train, or point the configuration at the folder holding {SessionsFile}.", path);
        var builder = new SessionIndexBuilder();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            var tab = text.IndexOf('\t');
            if (tab < 0 || !double.TryParse(text.AsSpan(0, tab), NumberStyles.Float, CultureInfo.InvariantCulture, out var end))
                throw new InvalidDataException($"{path} line {line} is not 'end-time<TAB>items': the file is damaged; copy it again from ./engine train.");
            var items = text[(tab + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // Click times only order the session; spacing them back from its end keeps the file free of them.
            for (var i = 0; i < items.Length; i++) builder.Add($"s{line}", items[i], end - (items.Length - 1 - i) * 1e-3);
        }
        return builder.Build();
    }

    /// <summary>The serving recommender from a folder: sessions plus, when present, the learned re-ranker.</summary>
    public static SessionRecommender Load(string directory, RecommenderOptions? options = null)
    {
        var index = ReadSessions(directory);
        var model = Path.Combine(directory, RankerFile);
        return new SessionRecommender(index, options, File.Exists(model) ? LearnedRanker.Load(model) : null);
    }
}
