using Engine.Host.Embedded;
using StackExchange.Redis;

namespace Engine.Testing.Redis;

/// <summary>
/// One embedded Garnet per test class, and the redis-server named by <c>ENGINE_TEST_REDIS</c> (host:port; ./test.sh
/// starts one and sets it). Without that variable the redis-server variant fails, never passes silently.
/// Isolate tests by key prefix (<see cref="UniquePrefix"/>), not by database: Garnet serves database 0 only by default.
/// </summary>
public sealed class RedisFixture : IDisposable
{
    public const string EnvironmentVariable = "ENGINE_TEST_REDIS";
    private readonly Lazy<EmbeddedGarnet> _garnet = new(() => new EmbeddedGarnet());
    private readonly Dictionary<RedisKind, ConnectionMultiplexer> _connections = [];
    private readonly Lock _lock = new();

    public EmbeddedGarnet Garnet => _garnet.Value;

    /// <summary>host:port of the server of this kind (starts Garnet on first use).</summary>
    public string Endpoint(RedisKind kind) => kind switch
    {
        RedisKind.Garnet => Garnet.Endpoint,
        _ => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } address
            ? address
            : throw new InvalidOperationException(
                $"No redis-server for this test: run it through ./test.sh, or set {EnvironmentVariable}=host:port " +
                "(e.g. redis-server --port 6390 --save '' & export ENGINE_TEST_REDIS=127.0.0.1:6390)."),
    };

    public IConnectionMultiplexer Connect(RedisKind kind)
    {
        lock (_lock)
        {
            if (!_connections.TryGetValue(kind, out var connection))
            {
                connection = ConnectionMultiplexer.Connect(Options(Endpoint(kind)));
                _connections[kind] = connection;
            }
            return connection;
        }
    }

    /// <summary>Settings for tests: reconnect by itself, and fail a command quickly while the server is away.</summary>
    public static ConfigurationOptions Options(string endpoint)
    {
        var options = ConfigurationOptions.Parse(endpoint);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2000;
        options.AsyncTimeout = 2000;
        options.SyncTimeout = 2000;
        options.ReconnectRetryPolicy = new LinearRetry(100);
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    public static string UniquePrefix(string test) => $"test:{test}:{Guid.NewGuid():N}:";

    public void Dispose()
    {
        foreach (var connection in _connections.Values) connection.Dispose();
        if (_garnet.IsValueCreated) _garnet.Value.Dispose();
    }
}
