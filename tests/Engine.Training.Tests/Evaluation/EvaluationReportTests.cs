using System.Text.Json.Nodes;
using Engine.Models.Recommendations;
using Engine.Training.Evaluation;
using Engine.Training.Ml;

namespace Engine.Training.Tests.Evaluation;

/// <summary>What evaluation.json and evaluation.md say: which model each figure is from, and whether the python check ran.</summary>
public sealed class EvaluationReportTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("engine-report-");

    [Fact]
    public void Each_click_through_lr_figure_names_the_lr_it_comes_from()
    {
        var report = new EvaluationReport { DataFolder = _dir.FullName, Seed = 42, Criteo = Criteo };
        report.Write(_dir, "test");

        var criteo = Json()["criteo"]!.AsObject();
        Assert.Equal(0.7333, (double)criteo["baseline_lr_auc"]!);
        Assert.Equal(0.736, (double)criteo["tuned_lr_auc"]!);
        Assert.Equal("baseline settings", (string)criteo["baseline_lr_settings"]!);
        Assert.Equal("tuned settings", (string)criteo["tuned_lr_settings"]!);
        Assert.Equal(0.7445, (double)criteo["cv_tuned_lr_auc"]!);
        Assert.False(criteo.ContainsKey("hashed_lr_auc"));
        var md = File.ReadAllText(Path.Combine(_dir.FullName, "evaluation.md"));
        Assert.Contains("| criteo | **0.7369** | 0.7295 | 0.7347 | 0.7360 | 0.7333 |", md);
        Assert.Contains("tuned LR `tuned settings`, baseline LR `baseline settings`", md);
    }

    [Fact]
    public void Without_the_python_tool_the_report_says_the_check_did_not_run()
    {
        var report = new EvaluationReport { DataFolder = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data")).FullName, Seed = 42, YooChoose = YooChoose(Positions: 5) };
        report.Write(_dir, "test");

        var check = (string)Json()["yoochoose"]!["check_score_session_recs"]!;
        Assert.StartsWith("not run: ", check);
        Assert.Contains($"score_session_recs.py on yoochoose_first100_recs.csv: `{check}`", File.ReadAllText(Path.Combine(_dir.FullName, "evaluation.md")));
    }

    [SessionRecsToolFact]
    public void A_python_check_that_disagrees_stops_the_report()
    {
        var data = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data", "yoochoose-100k")).Parent!;
        File.Copy(SharedData.SessionRecsTool, Path.Combine(Directory.CreateDirectory(Path.Combine(_dir.FullName, "tools")).FullName, "score_session_recs.py"));
        File.WriteAllLines(Path.Combine(data.FullName, "yoochoose-100k", "yoochoose-clicks-100k_test.txt"), ["SessionId\tItemId\tTime", "s\ta\t1", "s\tb\t2", "s\tc\t3"]);
        var output = Directory.CreateDirectory(Path.Combine(_dir.FullName, "out"));

        var agreeing = new EvaluationReport { DataFolder = data.FullName, Seed = 42, YooChoose = YooChoose(Positions: 2) };
        agreeing.Write(output, "test");
        Assert.StartsWith("agrees: rows 2  HitRate@20 0.5000  MRR@20 0.2500", (string)Json(output)["yoochoose"]!["check_score_session_recs"]!);

        File.Delete(Path.Combine(output.FullName, "evaluation.json"));
        var disagreeing = new EvaluationReport { DataFolder = data.FullName, Seed = 42, YooChoose = YooChoose(Positions: 3) };
        var error = Assert.Throws<SessionRecsCheck.FailedException>(() => disagreeing.Write(output, "test"));
        Assert.Contains("rows 2 against our 3 positions", error.Message);
        Assert.False(File.Exists(Path.Combine(output.FullName, "evaluation.json")));
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private JsonNode Json(DirectoryInfo? dir = null) => JsonNode.Parse(File.ReadAllText(Path.Combine((dir ?? _dir).FullName, "evaluation.json")))!;

    private static readonly CtrEvaluation.Result Criteo = new("criteo", 7609, 391, BaselineLogisticAuc: 0.7333, TunedLogisticAuc: 0.736, TreesAuc: 0.7295,
        FactorizationAuc: 0.7347, BlendAuc: 0.7369, new BlendWeights(0.25, 0.75, 0), "baseline settings", "tuned settings", "trees", "fm",
        ValidationLogisticAuc: 0.7445, ValidationTreesAuc: 0.7504, ValidationFactorizationAuc: 0.7462, ValidationBlendAuc: 0.7522,
        new BlendWeights(0.25, 0.5, 0.25), 0.7519);

    /// <summary>Session s (a b c): after a the list is x b (b at rank 2), after a b it is y (a miss): HR 1/2, MRR 1/4 over 2 positions.</summary>
    private static YooChooseEvaluation.Result YooChoose(int Positions)
    {
        var score = new SessionRecEvaluation.Score(Positions, 0.5, 0.25);
        const string csv = "SessionId;Position;Recommendations;Scores\ns;0;x,b;0.9,0.8\ns;1;y;0.5\n";
        return new YooChooseEvaluation.Result(new RecommenderOptions(), score, score, score, csv,
            new YooChooseEvaluation.RerankerChoice(new TreeOptions(), 10, score, score), score, score);
    }
}
