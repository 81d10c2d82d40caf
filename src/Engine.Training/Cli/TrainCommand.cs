using System.CommandLine;
using Engine.Training.Training;

namespace Engine.Training.Cli;

/// <summary><c>./engine train</c>: simulated world -> churn, bid and recs models in models/.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var outOption = new Option<DirectoryInfo>("--out") { Description = "Folder for churn/, bid/ (model.onnx + model.json each) and recs/ (re-ranker + sessions.txt)", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var seedOption = new Option<int>("--seed") { Description = "Seed of the simulated training world (the test world uses seed+1)", DefaultValueFactory = _ => 42 };
        var usersOption = new Option<int>("--users") { Description = "Simulated users per world", DefaultValueFactory = _ => 4000 };
        var command = new Command("train",
            "Simulates a shop, trains the churn and bid (click-through) models and the recommendation re-ranker with ML.NET FastTree and exports each to ONNX with its metadata.\n" +
            "Example: ./engine train --out models --seed 42")
        {
            outOption, seedOption, usersOption,
        };
        command.SetAction(parse =>
        {
            var fitted = SimulatedModels.Fit(parse.GetValue(seedOption), parse.GetValue(usersOption), Console.Out);
            var outDir = parse.GetValue(outOption)!.FullName;
            SimulatedModels.Write(fitted, outDir, Console.Out);
            SimulatedRecs.Write(fitted.Train, fitted.Seed, fitted.Users, Path.Combine(outDir, "recs"), Console.Out).Ranker.Dispose();
            return 0;
        });
        return command;
    }
}
