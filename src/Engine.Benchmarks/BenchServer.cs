using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Engine.Benchmarks;

/// <summary>
/// A Redis-protocol server the features bench measures in a process of its own, as it would be deployed: redis-server
/// (<c>ENGINE_BENCH_REDIS</c> if set, else started here if installed) or Garnet (this bench's own executable in
/// <see cref="GarnetServerMode"/>). Its CPU time is read from the process, so the bench can report the server's cost
/// per event beside the client's.
/// </summary>
public sealed class BenchServer : IDisposable
{
    /// <summary>First argument that makes <c>engine-bench.dll</c> run embedded Garnet on the given port until killed.</summary>
    public const string GarnetServerMode = "garnet-server";

    private readonly Process? _process;

    private BenchServer(string endpoint, Process? process)
    {
        Endpoint = endpoint;
        _process = process;
    }

    public string Endpoint { get; }

    /// <summary>The server process's CPU time so far; null for a server this bench did not start.</summary>
    public TimeSpan? Cpu
    {
        get
        {
            if (_process is null) return null;
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Null with a reason when there is no redis-server to measure.</summary>
    public static async Task<(BenchServer? Server, string? Reason)> StartRedisAsync()
    {
        if (Environment.GetEnvironmentVariable("ENGINE_BENCH_REDIS") is { Length: > 0 } address) return (new BenchServer(address, null), null);
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
        if (binary is null) return (null, "redis-server is not installed and ENGINE_BENCH_REDIS is not set");
        var port = FreePort();
        var info = new ProcessStartInfo(binary);
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Path.GetTempPath() })
            info.ArgumentList.Add(arg);
        return await StartAsync(info, port, "redis-server");
    }

    /// <summary>Embedded Garnet, configured as <c>demo</c> runs it, in a child process (the GC heap and threads of its own).</summary>
    public static async Task<(BenchServer? Server, string? Reason)> StartGarnetAsync()
    {
        var port = FreePort();
        // Its stdin is a pipe from this process: when the bench exits, however it exits, the pipe closes and Garnet stops.
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true };
        // Garnet keeps every hash as objects on its own GC heap, and under DATAS its gen0 and gen1 collections stopped it for
        // 50-270 ms several times a run, stalling the engine's flushes (docs/performance.md, round 13). A fixed 64 MB gen0
        // without DATAS collected once or not at all in a bench run: the development Redis, measured as little as Redis would be.
        info.Environment["DOTNET_GCDynamicAdaptationMode"] = "0";
        info.Environment["DOTNET_GCgen0size"] = "0x4000000";
        foreach (var arg in new[] { Assembly.GetEntryAssembly()!.Location, GarnetServerMode, port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(arg);
        return await StartAsync(info, port, "Garnet");
    }

    /// <summary>The child's side of <see cref="StartGarnetAsync"/>: serve until killed or until the parent's end of stdin closes.</summary>
    public static async Task<int> ServeGarnetAsync(int port)
    {
        using var garnet = new Engine.Host.Embedded.EmbeddedGarnet(port);
        await Console.In.ReadToEndAsync();
        return 0;
    }

    private static async Task<(BenchServer? Server, string? Reason)> StartAsync(ProcessStartInfo info, int port, string name)
    {
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        for (var i = 0; i < 200 && !process.HasExited; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return (new BenchServer($"127.0.0.1:{port}", process), null);
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        if (!process.HasExited) process.Kill();
        process.Dispose();
        return (null, $"{name} did not listen on port {port}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
