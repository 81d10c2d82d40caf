using System.Text;
using Engine.Models.Recommendations;
using Engine.Models.Scoring;
using Engine.Models.Tests.Scoring;

namespace Engine.Models.Tests.Recommendations;

/// <summary>The recommender's folder as the engine loads it (<see cref="RecommenderFiles.Load"/>): what it refuses, and what it must not.</summary>
public sealed class RecommenderFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-recs-").FullName;
    private static readonly string Committed = Path.GetDirectoryName(ModelFiles.Committed("recs"))!;

    [Fact]
    public void Sessions_saved_with_a_byte_order_mark_and_a_hash_named_in_upper_case_load()
    {
        var sessions = File.ReadAllBytes(Path.Combine(Committed, RecommenderFiles.SessionsFile));
        File.WriteAllBytes(Path.Combine(_folder, RecommenderFiles.SessionsFile), [0xEF, 0xBB, 0xBF, .. sessions]);
        File.Copy(Path.Combine(Committed, RecommenderFiles.RankerFile), Path.Combine(_folder, RecommenderFiles.RankerFile));
        var metadata = ModelMetadata.Parse(File.ReadAllText(Path.Combine(Committed, "model.json")));
        File.WriteAllText(Path.Combine(_folder, "model.json"), (metadata with
        {
            SessionsSha256 = ModelMetadata.Sha256Of([0xEF, 0xBB, 0xBF, .. sessions]).ToUpperInvariant(),
        }).ToJson());

        var recommender = RecommenderFiles.Load(_folder);

        Assert.Equal(RecommenderFiles.Load(Committed).Index.SessionCount, recommender.Index.SessionCount);
    }

    [Fact]
    public void An_empty_index_is_refused_and_bytes_that_are_not_UTF8_are_named_as_damage()
    {
        var sessions = Path.Combine(_folder, RecommenderFiles.SessionsFile);
        File.WriteAllText(sessions, "");
        Assert.Contains("hold no session", Assert.Throws<ModelLoadException>(() => RecommenderFiles.Load(_folder)).Message);

        File.WriteAllBytes(sessions, [.. Encoding.UTF8.GetBytes("1\ta b\n"), 0xFF, 0xFE, (byte)'\n']);
        Assert.Contains("is not UTF-8 text", Assert.Throws<InvalidDataException>(() => RecommenderFiles.Load(_folder)).Message);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
