using Engine.Training.Evaluation;

namespace Engine.Training.Tests.Evaluation;

/// <summary>The comparison of score_session_recs.py's output with the in-process figures.</summary>
public sealed class SessionRecsCheckTests
{
    /// <summary>What the tool printed on the committed evaluation's top lists (two spaces between fields).</summary>
    private const string Output = "rows 387  HitRate@20 0.6331  MRR@20 0.3654\n";

    private static readonly SessionRecEvaluation.Score Ours = new(387, 245 / 387.0, 0.365386);

    [Fact]
    public void The_tools_output_is_read_as_rows_k_hit_rate_and_mrr()
    {
        Assert.Equal(new SessionRecsCheck.Figures(387, 20, 0.6331, 0.3654), SessionRecsCheck.Parse(Output));
        Assert.Null(SessionRecsCheck.Parse("no scorable rows\n"));
    }

    [Fact]
    public void Figures_equal_to_the_tools_four_decimals_agree()
    {
        SessionRecsCheck.Compare(Output, Ours, 20);
        SessionRecsCheck.Compare(Output, Ours with { Mrr = 0.36535 }, 20);
    }

    [Theory]
    [InlineData(386, 0.633075, 0.365386, "rows 387 against our 386 positions")]
    [InlineData(387, 0.6336, 0.365386, "HitRate@20 0.6331 against our 0.633600")]
    [InlineData(387, 0.633075, 0.3649, "MRR@20 0.3654 against our 0.364900")]
    public void Figures_beyond_the_tools_rounding_fail_the_check_saying_which(int positions, double hitRate, double mrr, string expected)
    {
        var error = Assert.Throws<SessionRecsCheck.FailedException>(() => SessionRecsCheck.Compare(Output, new(positions, hitRate, mrr), 20));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Output_without_figures_or_for_another_k_fails_the_check()
    {
        Assert.Contains("printed no figures", Assert.Throws<SessionRecsCheck.FailedException>(() => SessionRecsCheck.Compare("no scorable rows", Ours, 20)).Message);
        Assert.Contains("k 20 against our 10", Assert.Throws<SessionRecsCheck.FailedException>(() => SessionRecsCheck.Compare(Output, Ours, 10)).Message);
    }

    [Fact]
    public void Without_the_tool_the_check_says_it_did_not_run()
    {
        var dir = Directory.CreateTempSubdirectory("engine-no-tools-");
        try
        {
            var data = Directory.CreateDirectory(Path.Combine(dir.FullName, "data"));
            var outcome = SessionRecsCheck.Run(data.FullName, Path.Combine(dir.FullName, "recs.csv"), Ours, 20);
            Assert.False(outcome.Ran);
            Assert.StartsWith("not run: ", outcome.Text);
            Assert.Contains("score_session_recs.py does not exist", outcome.Text);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
