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

    public static SessionIndex ReadSessions(string directory) => ParseSessions(SessionsPath(directory), ReadSessionBytes(directory));

    private static string SessionsPath(string directory) => Path.Combine(directory, SessionsFile);

    private static byte[] ReadSessionBytes(string directory)
    {
        var path = SessionsPath(directory);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Recommender sessions '{path}' do not exist: run ./engine train, or point the configuration at the folder holding {SessionsFile}.", path);
        return File.ReadAllBytes(path);
    }

    private static SessionIndex ParseSessions(string path, byte[] bytes)
    {
        var builder = new SessionIndexBuilder();
        var line = 0;
        // A byte order mark is skipped (an editor may add one); bytes that are not UTF-8 are a damaged file, said as such.
        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        try
        {
            while (reader.ReadLine() is { } text)
            {
                line++;
                var tab = text.IndexOf('\t');
                if (tab < 0 || !double.TryParse(text.AsSpan(0, tab), NumberStyles.Float, CultureInfo.InvariantCulture, out var end))
                    throw new InvalidDataException($"{path} line {line} is not 'end-time<TAB>items': the file is damaged; copy it again from ./engine train.");
                var items = text[(tab + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // Click times only order the session; spacing them back from its end keeps the file free of them.
                for (var i = 0; i < items.Length; i++) builder.Add($"s{line}", items[i], end - (items.Length - 1 - i) * 1e-3);
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path} is not UTF-8 text (near line {line + 1}): the file is damaged; copy it again from ./engine train.", e);
        }
        var index = builder.Build();
        if (index.SessionCount == 0)
            throw new Scoring.ModelLoadException($"Recommender sessions '{path}' hold no session: every list would be empty. Copy the recs/ folder of one ./engine train run whole.");
        return index;
    }

    /// <summary>The serving recommender from a folder: sessions plus, when present, the learned re-ranker.</summary>
    /// <exception cref="Scoring.ModelLoadException">The sessions are not those the re-ranker's <c>model.json</c> names
    /// (<see cref="Scoring.ModelMetadata.SessionsSha256"/>), or there are none.</exception>
    public static SessionRecommender Load(string directory, RecommenderOptions? options = null)
    {
        var bytes = ReadSessionBytes(directory);
        var model = Path.Combine(directory, RankerFile);
        var ranker = File.Exists(model) ? LearnedRanker.Load(model) : null;
        try
        {
            // Before parsing: a copy cut mid-line is a file of another run, not a damaged one.
            if (ranker?.Metadata.SessionsSha256 is { } expected && Scoring.ModelMetadata.Sha256Of(bytes) is var actual
                && !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new Scoring.ModelLoadException(
                    $"Recommender sessions '{SessionsPath(directory)}' are not the ones its re-ranker was trained beside (sha256 {actual[..12]}..., " +
                    $"model.json names {expected[..Math.Min(12, expected.Length)]}...): a copy cut short or of another run. Copy the recs/ folder of one ./engine train run whole.")
                { FilesOfDifferentRuns = true };
            return new SessionRecommender(ParseSessions(SessionsPath(directory), bytes), options, ranker);
        }
        catch
        {
            ranker?.Dispose();
            throw;
        }
    }
}
