using Engine.Training.Data;
using Engine.Training.Evaluation;

namespace Engine.Training.Tests.Evaluation;

/// <summary>The YooChoose rows the engine is compared on are the published baselines' rows, scored by one rule.</summary>
public sealed class YooChooseFirst100Tests
{
    private static readonly string Folder = SharedData.Path("yoochoose-100k");

    private static List<YooChoose.Session> Test() => YooChoose.Read(Path.Combine(Folder, "yoochoose-clicks-100k_test.txt"));

    [SharedDataFact("yoochoose-100k")]
    public void The_first_100_are_the_99_sessions_the_baselines_listed_with_387_positions()
    {
        var first100 = YooChooseEvaluation.First100(Folder, Test());

        Assert.Equal(99, first100.Count);
        Assert.DoesNotContain(first100, s => s.Id == "996"); // session-rec dropped it
        Assert.Equal(387, first100.Sum(s => s.Items.Count - 1));
    }

    [SharedDataFact("yoochoose-100k")]
    public void Without_the_published_lists_the_first_100_are_the_test_files_first_100_sessions()
    {
        var test = Test();
        var empty = Directory.CreateTempSubdirectory("engine-no-published-");
        try
        {
            var first100 = YooChooseEvaluation.First100(empty.FullName, test);
            Assert.Equal(test.Take(100).Select(s => s.Id), first100.Select(s => s.Id));
        }
        finally
        {
            empty.Delete();
        }
    }

    /// <summary>The figures score_session_recs.py prints for the published lists (and the dataset's README tabulates).</summary>
    [SharedDataFact("yoochoose-100k")]
    public void The_published_lists_score_what_the_python_tool_gives_them()
    {
        var scores = PublishedRecs.Score(Folder, Test());

        Assert.Equal(["ar", "gru4rec", "sr", "vsknn"], scores.Keys.Order(StringComparer.Ordinal));
        Assert.All(scores.Values, s => Assert.Equal(387, s.Positions));
        Assert.Equal((0.6098, 0.3342), (Math.Round(scores["vsknn"].HitRate, 4), Math.Round(scores["vsknn"].Mrr, 4)));
        Assert.Equal((0.5917, 0.3160), (Math.Round(scores["ar"].HitRate, 4), Math.Round(scores["ar"].Mrr, 4)));
    }
}
