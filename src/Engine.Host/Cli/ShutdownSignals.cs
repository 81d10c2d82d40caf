using System.Runtime.InteropServices;

namespace Engine.Host.Cli;

/// <summary>
/// SIGTERM, SIGINT (Ctrl+C) and SIGQUIT cancel <see cref="Token"/> instead of ending the process, so a command can
/// drain, commit and leave the cluster before it returns. A second signal more than 2 s later is left to the runtime: it ends the process.
/// </summary>
/// <remarks>
/// Replaces System.CommandLine's own handler (whose timeout returned from Main while the node was still stopping)
/// and Akka's CLR shutdown hook (which ran a second coordinated shutdown inside ProcessExit): one owner, one stop.
/// </remarks>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration[] _registrations;
    private long _firstAt;

    public ShutdownSignals() =>
        _registrations = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT }.Select(s => PosixSignalRegistration.Create(s, OnSignal))];

    public CancellationToken Token => _requested.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.CompareExchange(ref _firstAt, Environment.TickCount64, 0) != 0)
        {
            // A repeat: within 2 s it is the same request (timeout(1) signals the process and its group); later, the operator insists.
            context.Cancel = Environment.TickCount64 - Volatile.Read(ref _firstAt) < 2_000;
            return;
        }
        Console.Error.WriteLine($"engine: {context.Signal} received, stopping gracefully (send it again to force)");
        _requested.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _requested.Dispose();
    }
}
