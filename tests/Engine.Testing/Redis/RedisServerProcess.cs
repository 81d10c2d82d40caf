using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Engine.Testing.Redis;

/// <summary>
/// A redis-server of the test's own, on a free loopback port, that can be stopped (SIGKILL) and started again on the
/// same port (to test a Redis restart). Not durable by default: it starts empty each time. Durable: an append-only file
/// fsynced on every write, so after a hard restart every write it acknowledged is back (what the engine's no-loss
/// promise relies on).
/// </summary>
public sealed class RedisServerProcess : IDisposable
{
    private readonly string? _directory;
    private readonly TestTls? _tls;
    private Process? _process;

    /// <param name="tls">Serve TLS only, on <see cref="Port"/>, with this server certificate (clients are not asked for one).</param>
    /// <param name="replicaOf">Start as a replica of the redis-server on this loopback port.</param>
    /// <param name="password">Ask clients for this password (<c>requirepass</c>).</param>
    public RedisServerProcess(int port = 0, bool durable = false, TestTls? tls = null, int? replicaOf = null, string? password = null)
    {
        Port = port == 0 ? FreePort() : port;
        _directory = durable ? Directory.CreateTempSubdirectory("engine-redis-").FullName : null;
        _tls = tls;
        _replicaOf = replicaOf;
        _password = password;
    }

    private readonly int? _replicaOf;
    private readonly string? _password;

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";

    public static bool IsInstalled => Environment.GetEnvironmentVariable("PATH")?.Split(':')
        .Any(dir => File.Exists(Path.Combine(dir, "redis-server"))) == true;

    public async Task StartAsync()
    {
        if (!IsInstalled)
            throw new InvalidOperationException("redis-server is not installed: run the tests through ./test.sh (it installs it) or apt-get install redis-server.");
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = _directory is null
            ? ["--appendonly", "no", "--dir", Path.GetTempPath()]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _directory];
        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] listen = _tls is null
            ? ["--port", port]
            : ["--port", "0", "--tls-port", port, "--tls-cert-file", _tls.ServerCertificate, "--tls-key-file", _tls.ServerKey,
               "--tls-ca-cert-file", _tls.Authority, "--tls-auth-clients", "no"];
        string[] replication = _replicaOf is { } primary ? ["--replicaof", "127.0.0.1", primary.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
        string[] auth = _password is { } password ? ["--requirepass", password] : [];
        foreach (var arg in listen.Concat(["--bind", "127.0.0.1", "--save", ""]).Concat(persistence).Concat(replication).Concat(auth))
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

    /// <summary>
    /// Holds every write for <paramref name="pause"/> while reads go on (<c>CLIENT PAUSE WRITE</c>, as in a failover's
    /// pause): flushes wait, time out and retry, while an entity started meanwhile loads at once.
    /// </summary>
    public async Task PauseWritesAsync(TimeSpan pause)
    {
        var options = RedisFixture.Options(Endpoint);
        options.AllowAdmin = true;
        using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options);
        await admin.GetServer(Endpoint).ExecuteAsync("CLIENT", "PAUSE", (long)pause.TotalMilliseconds, "WRITE");
    }

    /// <summary>Lifts <see cref="PauseWritesAsync"/> before its time.</summary>
    public async Task UnpauseAsync()
    {
        var options = RedisFixture.Options(Endpoint);
        options.AllowAdmin = true;
        using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options);
        await admin.GetServer(Endpoint).ExecuteAsync("CLIENT", "UNPAUSE");
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and nothing is answered, as a hung server or a partition looks to a client.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>Lets a frozen server go on (SIGCONT): it answers what it received meanwhile.</summary>
    public void Thaw() => Signal("CONT");

    private void Signal(string signal)
    {
        if (_process is null) throw new InvalidOperationException("redis-server is not running");
        if (ProcessSignals.Send(_process, signal) != 0) throw new InvalidOperationException($"kill -{signal} of redis-server failed");
    }

    public void Stop()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        if (_directory is null) return;
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean: it is under the temp folder.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
