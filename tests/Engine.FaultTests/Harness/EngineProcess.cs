using System.Diagnostics;
using System.Reflection;
using Engine.Testing;

namespace Engine.FaultTests.Harness;

/// <summary>
/// The engine as a separate process (<c>engine run</c> against the test's Kafka and Redis), so the test can kill it
/// hard while the servers, hosted in the test process, live on. Its output is kept for the test log.
/// </summary>
public sealed class EngineProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private EngineProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Output
    {
        get { lock (_output) return _output.ToList(); }
    }

    /// <summary>engine.dll of the Host built in the same configuration as this test assembly.</summary>
    public static string EngineDll
    {
        get
        {
            var configuration = typeof(EngineProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var dll = Path.Combine(RepoPaths.Root, "src", "Engine.Host", "bin", configuration, "net10.0", "engine.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"build src/Engine.Host in {configuration} first", dll);
        }
    }

    /// <summary>
    /// Settings of the child engine beyond its flags. Redis commands may wait 20 s instead of 5 s: on a loaded 2-core
    /// machine a burst of state loads can wait that long for a thread (the faults under test are the injected ones, not
    /// the machine's load). A 10 s Kafka session timeout instead of 45 s: a killed engine's partitions move to its
    /// successor that much sooner, as an operator who restarts crashed nodes quickly would configure.
    /// </summary>
    /// <summary>For engines started in-process: the same patient Redis timeouts, as a StackExchange.Redis configuration suffix.</summary>
    public const string PatientRedis = ",asyncTimeout=20000,syncTimeout=20000";

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Redis__TimeoutMs"] = "20000",
        ["Kafka__Client__session.timeout.ms"] = "10000",
        ["Http__Port"] = "-1",
        // The suite reads user keys back under the development key (its reference features).
        ["Privacy__AllowDevelopmentKey"] = "true",
        // A list after every page event, so the check of lost decisions is exact: with conflation on (run's default) a list
        // missing from the topic could only be excused as possibly conflated, which let most of a session's lists vanish
        // unnoticed (a review, 2026-12-07). Conflation has tests of its own (ListConflation, the pipeline's).
        ["Recommendations__ConflationWindow"] = "0",
    };

    /// <summary>Starts <c>engine run</c> on the given servers, with the committed models.</summary>
    public static EngineProcess Start(string kafka, string redis, int partitions)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { EngineDll, "run", "--kafka", kafka, "--redis", redis, "--models", Path.Combine(RepoPaths.Root, "models"),
                     "--partitions", partitions.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(arg);
        foreach (var (name, value) in Settings) info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet engine.dll run did not start");
        var engine = new EngineProcess(process);
        process.OutputDataReceived += (_, e) => engine.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => engine.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return engine;
    }

    /// <summary>SIGKILL: no drain, no commit, no leaving the cluster or the consumer group.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM: the engine's graceful stop (drain, commit, leave).</summary>
    public async Task StopGracefullyAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        Engine.Testing.ProcessSignals.Send(_process, "TERM");
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            KillHard();
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
    }
}
