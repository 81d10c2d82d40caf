using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Engine.Host.Tests.Cli;

/// <summary>
/// The built host (<c>engine.dll</c>, copied beside the tests by the project reference) run as a child process, as an
/// operator or a supervisor runs it: its output gathered line by line, stopped with a real SIGTERM.
/// </summary>
public sealed class EngineProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private EngineProcess(Process process) => _process = process;

    public static EngineProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "engine.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = new EngineProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start dotnet {dll}"));
        process._process.OutputDataReceived += (_, e) => { if (e.Data is not null) process._lines.Enqueue(e.Data); };
        process._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) process._lines.Enqueue(e.Data); };
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        return process;
    }

    public string Output => string.Join('\n', _lines);
    public int Id => _process.Id;

    /// <summary>Waits for a line matching <paramref name="pattern"/> and returns its match; fails with the output so far.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var line in _lines)
                if (regex.Match(line) is { Success: true } match) return match;
            if (_process.HasExited) break;
            await Task.Delay(100);
        }
        throw new TimeoutException($"no line matching '{pattern}' within {timeout.TotalSeconds} s (exited: {_process.HasExited}); output:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"still running after {timeout.TotalSeconds} s; output:\n{Output}");
        }
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>What an orchestrator sends to stop a container: SIGTERM (through kill(1): .NET only sends SIGKILL).</summary>
    public void Terminate()
    {
        Assert.Equal(0, Engine.Testing.ProcessSignals.Send(_process, "TERM"));
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
