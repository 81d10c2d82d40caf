namespace Engine.Host.Tests.Cli;

/// <summary>Tests that run a whole engine (in a child process or in this one) take turns: two at once on a small machine starve each other.</summary>
[CollectionDefinition(Name)]
public sealed class EngineProcesses
{
    public const string Name = "Engine processes";
}
