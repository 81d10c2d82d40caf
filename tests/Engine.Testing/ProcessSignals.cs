using System.Diagnostics;
using System.Globalization;

namespace Engine.Testing;

/// <summary>Sends a POSIX signal to a process through kill(1): .NET itself only sends SIGKILL.</summary>
public static class ProcessSignals
{
    /// <summary>Sends <paramref name="signal"/> (e.g. <c>TERM</c>, <c>STOP</c>, <c>CONT</c>) and returns kill's exit code (0: delivered).</summary>
    public static int Send(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])
            ?? throw new InvalidOperationException("kill did not start");
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
