using Engine.Host.Embedded;

namespace Engine.Testing.Redis;

/// <summary>A server of the test's own that can go away and come back on the same port: a Garnet, or a redis-server process.</summary>
public sealed class RestartableRedis : IDisposable
{
    private readonly RedisKind _kind;
    private readonly RedisServerProcess? _process;
    private EmbeddedGarnet? _garnet;

    private RestartableRedis(RedisKind kind, int port)
    {
        _kind = kind;
        Port = port;
        if (kind == RedisKind.RedisServer)
        {
            if (!RedisServerProcess.IsInstalled)
                throw new InvalidOperationException("redis-server is not installed: run the tests through ./test.sh (it installs it) or apt-get install redis-server.");
            _process = new RedisServerProcess(port);
        }
    }

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<RestartableRedis> StartAsync(RedisKind kind)
    {
        var server = new RestartableRedis(kind, RedisServerProcess.FreePort());
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        if (_kind == RedisKind.Garnet) _garnet = new EmbeddedGarnet(Port);
        else await _process!.StartAsync();
    }

    /// <summary>Freezes a redis-server (SIGSTOP) until <see cref="Thaw"/>; a Garnet in this process cannot be.</summary>
    public void Freeze() => ServerProcess.Freeze();

    public void Thaw() => ServerProcess.Thaw();

    private RedisServerProcess ServerProcess => _process ?? throw new NotSupportedException("only a redis-server process can be frozen");

    public void Stop()
    {
        _garnet?.Dispose();
        _garnet = null;
        _process?.Stop();
    }

    public void Dispose() => Stop();
}
