using System.CommandLine;

namespace Engine.Training.Cli;

public static class EvaluateCommand
{
    public static Command Create() => new("evaluate", "placeholder");
}
