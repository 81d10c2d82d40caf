using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Engine.Testing.Redis;

namespace Engine.FaultTests.Harness;

/// <summary>
/// A redis-server of the test's own that keeps its data across a hard restart (append-only file, fsync on every
/// write), so after a restart every write it acknowledged is back: what the engine's no-loss promise relies on.
/// </summary>
public sealed class DurableRedis : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("engine-fault-redis-").FullName;
    private Process? _process;

    public int Port { get; } = RedisServerProcess.FreePort();
    public string Endpoint => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        if (!RedisServerProcess.IsInstalled)
            throw new InvalidOperationException("redis-server is not installed: run the tests through ./test.sh (it installs it) or apt-get install redis-server.");
        var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "yes", "--appendfsync", "always", "--dir", _directory })
            info.ArgumentList.Add(arg);
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException($"redis-server did not listen on {Port}");
    }

    /// <summary>SIGKILL: connections drop at once; what was fsynced survives.</summary>
    public void Kill()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean: it is under the temp folder.
        }
    }
}
