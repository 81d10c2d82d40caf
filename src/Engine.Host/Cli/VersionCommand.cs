using System.CommandLine;
using System.Reflection;

namespace Engine.Host.Cli;

/// <summary><c>engine version</c>: the build and runtime, for bug reports.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the engine's version and runtime.\nExample: ./engine version");
        command.SetAction(_ =>
        {
            var version = Assembly.GetExecutingAssembly().GetName().Version;
            Console.WriteLine($"engine {version} on .NET {Environment.Version}");
        });
        return command;
    }
}
