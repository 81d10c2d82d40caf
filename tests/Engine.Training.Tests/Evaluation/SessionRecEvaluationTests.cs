using System.Globalization;
using System.Text;
using Engine.Models.Contracts;
using Engine.Training.Data;
using Engine.Training.Evaluation;

namespace Engine.Training.Tests.Evaluation;

/// <summary>HR@k and MRR@k of the session-rec protocol on sessions small enough to score by hand.</summary>
public sealed class SessionRecEvaluationTests
{
    private const int K = 3;

    /// <summary>
    /// s1 a b c: after [a] the list is b x y (hit at rank 1), after [a b] x y c (hit at rank k = 3).
    /// s2 d e: after [d] x y z e (e at rank 4, beyond k: a miss).
    /// s3 f f g: after [f] g f (the repeated f is a target like any other: rank 2), after [f f] q (miss).
    /// s4 h: one click, no position.
    /// Positions 2 + 1 + 2 + 0 = 5; hits 3, HR 3/5; MRR (1 + 1/3 + 1/2) / 5 = 11/30.
    /// </summary>
    private static readonly Dictionary<string, string[]> Lists = new()
    {
        ["a"] = ["b", "x", "y"],
        ["a b"] = ["x", "y", "c"],
        ["d"] = ["x", "y", "z", "e"],
        ["f"] = ["g", "f"],
        ["f f"] = ["q"],
    };

    private static readonly List<YooChoose.Session> Sessions =
    [
        Session("s1", "a", "b", "c"),
        Session("s2", "d", "e"),
        Session("s3", "f", "f", "g"),
        Session("s4", "h"),
    ];

    [Fact]
    public void Positions_hits_and_reciprocal_ranks_are_counted_as_the_protocol_says()
    {
        var score = SessionRecEvaluation.Run(Recommend, Sessions, K);

        Assert.Equal(5, score.Positions);
        Assert.Equal(3 / 5.0, score.HitRate, 12);
        Assert.Equal(11 / 30.0, score.Mrr, 12);
    }

    [Fact]
    public void The_top_lists_written_for_the_python_tool_are_the_first_k_after_each_click()
    {
        var csv = new StringBuilder();
        SessionRecEvaluation.Run(Recommend, Sessions, K, csv);

        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("SessionId;Position;Recommendations;Scores", lines[0]);
        Assert.Equal(["s1;0;b,x,y", "s1;1;x,y,c", "s2;0;x,y,z", "s3;0;g,f", "s3;1;q"], lines[1..].Select(l => l[..l.LastIndexOf(';')]));
    }

    [SessionRecsToolFact]
    public void The_python_tool_scores_the_written_lists_as_we_do()
    {
        var dir = Directory.CreateTempSubdirectory("engine-session-recs-");
        try
        {
            var data = Directory.CreateDirectory(Path.Combine(dir.FullName, "data", "yoochoose-100k"));
            var tools = Directory.CreateDirectory(Path.Combine(dir.FullName, "tools"));
            File.Copy(SharedData.SessionRecsTool, Path.Combine(tools.FullName, "score_session_recs.py"));
            File.WriteAllLines(Path.Combine(data.FullName, "yoochoose-clicks-100k_test.txt"),
                ["SessionId\tItemId\tTime", .. Sessions.SelectMany(s => s.Clicks.Select(c => $"{s.Id}\t{c.Item}\t{c.Time.ToString(CultureInfo.InvariantCulture)}"))]);
            var csv = new StringBuilder();
            var ours = SessionRecEvaluation.Run(Recommend, Sessions, K, csv);
            var recs = Path.Combine(dir.FullName, "recs.csv");
            File.WriteAllText(recs, csv.ToString());

            var outcome = SessionRecsCheck.Run(data.Parent!.FullName, recs, ours, K);

            Assert.True(outcome.Ran, outcome.Text);
            Assert.Equal("agrees: rows 5  HitRate@3 0.6000  MRR@3 0.3667", outcome.Text);
            Assert.Throws<SessionRecsCheck.FailedException>(() => SessionRecsCheck.Run(data.Parent!.FullName, recs, ours with { Positions = 6 }, K));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static IReadOnlyList<RecommendedItem> Recommend(List<string> seen) =>
        Lists[string.Join(' ', seen)].Select((item, i) => new RecommendedItem(item, 1.0 / (i + 1), "test")).ToList();

    private static YooChoose.Session Session(string id, params string[] items) =>
        new(id, items.Select((item, i) => (1_000.0 + i, item)).ToList());
}
