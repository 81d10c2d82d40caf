using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Engine.Benchmarks;

/// <summary>The redis-server the features bench measures: <c>ENGINE_BENCH_REDIS</c> if set, else one started here if installed.</summary>
public sealed class BenchRedisServer : IDisposable
{
    private readonly Process? _process;

    private BenchRedisServer(string endpoint, Process? process)
    {
        Endpoint = endpoint;
        _process = process;
    }

    public string Endpoint { get; }

    /// <summary>Null with a reason when there is no redis-server to measure.</summary>
    public static async Task<(BenchRedisServer? Server, string? Reason)> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("ENGINE_BENCH_REDIS") is { Length: > 0 } address) return (new BenchRedisServer(address, null), null);
        var binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
        if (binary is null) return (null, "redis-server is not installed and ENGINE_BENCH_REDIS is not set");
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Path.GetTempPath() })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return (new BenchRedisServer($"127.0.0.1:{port}", process), null);
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        process.Kill();
        process.Dispose();
        return (null, $"redis-server did not listen on port {port}");
    }

    public void Dispose()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
