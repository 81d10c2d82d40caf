using System.CommandLine;
using Engine.Training.Evaluation;

namespace Engine.Training.Cli;

/// <summary><c>./engine evaluate --out DIR</c>: every model on the simulator and the real datasets, into DIR/evaluation.{json,md}.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Folder for evaluation.json, evaluation.md and the YooChoose top lists", DefaultValueFactory = _ => new DirectoryInfo("evaluation") };
        var dataOption = new Option<DirectoryInfo>("--data") { Description = "Folder holding yoochoose-100k/, cdnow/, criteo-avazu-ctr-samples/ (default: ../shared/data from the repository root)", DefaultValueFactory = _ => DataFolder.Default() };
        var seedOption = new Option<int>("--seed") { Description = "Seed for the simulator, folds and trainers", DefaultValueFactory = _ => 42 };
        var usersOption = new Option<int>("--users") { Description = "Simulated users per world", DefaultValueFactory = _ => 4000 };
        var disparityOption = new Option<double>("--disparity-ratio") { Description = "Fairness: flag a dimension whose lowest segment rate over highest is under this", DefaultValueFactory = _ => 0.8 };
        var onlyOption = new Option<string[]>("--only")
        {
            Description = "Run only these sections: " + string.Join(", ", EvaluationRun.Sections),
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("evaluate",
            "Measures every model: simulator (churn and click-through AUC against the known truth, recommendations against popularity), " +
            "YooChoose-100k (HitRate/MRR@20), CDNOW churn (AUC, 5-fold), Criteo and Avazu click-through (AUC on test), each beside its baseline.\n" +
            "Example: ./engine evaluate --out /tmp/eval --data ../shared/data\n" +
            "Example: ./engine evaluate --out /tmp/eval-ctr --only criteo avazu")
        {
            outOption, dataOption, seedOption, usersOption, onlyOption, disparityOption,
        };
        command.SetAction(parse =>
        {
            var data = parse.GetValue(dataOption)!;
            if (!data.Exists)
            {
                Console.Error.WriteLine($"evaluate: data folder '{data.FullName}' does not exist; pass --data DIR (the folder with yoochoose-100k/, cdnow/, criteo-avazu-ctr-samples/).");
                return 2;
            }
            var only = (parse.GetValue(onlyOption) ?? []).ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (only.FirstOrDefault(s => !EvaluationRun.Sections.Contains(s)) is { } unknown)
            {
                Console.Error.WriteLine($"evaluate: no section '{unknown}'. Known: {string.Join(", ", EvaluationRun.Sections)}");
                return 2;
            }
            var report = EvaluationRun.Run(data, parse.GetValue(seedOption), parse.GetValue(usersOption), only, Console.Out,
                new Engine.Models.Fairness.FairnessSettings(parse.GetValue(disparityOption)));
            var outDir = parse.GetValue(outOption)!;
            try
            {
                report.Write(outDir, "./engine " + string.Join(' ', args()));
            }
            catch (SessionRecsCheck.FailedException e)
            {
                Console.Error.WriteLine($"evaluate: {e.Message}; evaluation.json and evaluation.md not written (the top lists are in {outDir.FullName})");
                return 1;
            }
            Console.WriteLine($"wrote {Path.Combine(outDir.FullName, "evaluation.json")} and evaluation.md");
            return 0;

            string[] args() => Environment.GetCommandLineArgs().Skip(1).ToArray();
        });
        return command;
    }
}
