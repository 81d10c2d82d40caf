namespace Engine.Host.Configuration;

/// <summary>
/// The configuration cannot start an engine: each problem names the setting (<c>Section:Key</c>) and what is expected.
/// Printed without a stack trace; the process exits with code 2.
/// </summary>
public sealed class ConfigurationError(IReadOnlyList<string> problems)
    : Exception("Invalid configuration:" + string.Concat(problems.Select(p => Environment.NewLine + "  " + p)))
{
    public const int ExitCode = 2;

    public IReadOnlyList<string> Problems { get; } = problems;
}
