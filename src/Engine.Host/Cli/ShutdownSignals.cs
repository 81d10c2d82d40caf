using System.Runtime.InteropServices;

namespace Engine.Host.Cli;

/// <summary>
/// SIGTERM, SIGINT (Ctrl+C) and SIGQUIT cancel <see cref="Token"/> instead of ending the process, so a command can
/// drain, commit and leave the cluster before it returns. A second signal is left to the runtime: it ends the process.
/// </summary>
/// <remarks>
/// Replaces System.CommandLine's own handler (whose timeout returned from Main while the node was still stopping)
/// and Akka's CLR shutdown hook (which ran a second coordinated shutdown inside ProcessExit): one owner, one stop.
/// </remarks>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;

    public ShutdownSignals() =>
        _registrations = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT }.Select(s => PosixSignalRegistration.Create(s, OnSignal))];

    public CancellationToken Token => _requested.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Exchange(ref _signals, 1) == 1) return; // a second signal: let the runtime end the process
        context.Cancel = true;
        Console.Error.WriteLine($"engine: {context.Signal} received, stopping gracefully (send it again to force)");
        _requested.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _requested.Dispose();
    }
}
