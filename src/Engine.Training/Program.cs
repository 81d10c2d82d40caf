using System.CommandLine;
using Engine.Training.Cli;

// engine-train: reached as './engine train' and './engine evaluate' (the verb is the first argument).
var root = new RootCommand("Engine training and evaluation: builds the churn and bid models (ONNX + metadata) and measures every model on the simulator and on real datasets.")
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
