namespace Engine.Host.Configuration;

/// <summary>
/// Something the node needs did not answer at start-up (Redis, Kafka, the cluster's seeds): not a wrong setting, so not
/// exit code 2, which tells a supervisor not to retry. Printed as one line, without a stack trace; the process exits with
/// code 3, to be restarted once the dependency is back.
/// </summary>
public sealed class StartupUnavailable(string message, Exception? cause = null) : Exception(message, cause)
{
    public const int ExitCode = 3;
}
