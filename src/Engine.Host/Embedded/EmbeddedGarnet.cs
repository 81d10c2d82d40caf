using System.Net;
using System.Net.Sockets;
using Garnet;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Host.Embedded;

/// <summary>
/// Microsoft Garnet running in this process: the development and test Redis. Production points
/// <c>Redis:Configuration</c> at a real Redis instead. Lua is on and runs as a transaction (Garnet's default
/// runs scripts without locking their keys), so a feature flush script is atomic as it is on redis-server.
/// </summary>
public sealed class EmbeddedGarnet : IDisposable
{
    private readonly GarnetServer _server;
    private readonly string _directory;

    /// <param name="port">0 picks a free port.</param>
    /// <param name="cluster">Garnet in Redis Cluster mode (tests of the start-up check that refuses one).</param>
    public EmbeddedGarnet(int port = 0, bool cluster = false)
    {
        Port = port == 0 ? FreePort() : port;
        // Garnet's log and checkpoint folders default to the working directory, and cleanupDir would delete it:
        // give each instance a folder of its own and remove only that.
        _directory = Path.Combine(Path.GetTempPath(), $"engine-garnet-{Port}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        string[] args =
        [
            "--checkpointdir", _directory,
            "--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--lua", "--lua-transaction-mode", "true",
            // Small logs: a test or dev server holds megabytes, not the 16 GB default reservation.
            "--memory", "256m", "--index", "16m",
            "-q", "--logger-level", "None",
            // Cluster mode opens its storage through Linux native AIO (libaio, absent here) unless told otherwise.
            .. (cluster ? (string[])["--cluster", "--device-type", "RandomAccess"] : []),
        ];
        _server = new GarnetServer(args, NullLoggerFactory.Instance, cleanupDir: false);
        _server.Start();
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:port", a StackExchange.Redis configuration string.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    public void Dispose()
    {
        _server.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by the server's last flush: the temp folder is cleaned by the OS.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
