using System.Net.Sockets;
using Engine.Actors.Features.Resp;
using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// The connection a node's feature flushes go through, one flush's exchange at a time: a flush is two round trips
/// (WATCH and the stored offsets; then MULTI, its commands, EXEC), each one write and its replies read back
/// asynchronously. It is not StackExchange.Redis's: a conditional transaction there holds the connection's writer, and the
/// thread that sent it, blocked until the conditions' replies are read, and under load those replies queue behind the
/// busy thread pool (5-180 ms per flush, serializing every partition's flushes behind it: docs/performance.md, round 10).
/// A failed or timed-out exchange closes the connection (what Redis received is unknown; a WATCH dies with it), so the
/// next one reconnects; failures surface as StackExchange.Redis's connection and timeout exceptions, which the
/// store retries. It connects to the <c>primary</c> the node's multiplexer knows of (the first endpoint configured when
/// it knows none): with a primary and replicas configured, a replica answers writes with READONLY (so does a former
/// primary after a failover), and that answer is retried as a lost connection: the next attempt reconnects to the
/// primary the multiplexer knows by then.
/// </summary>
internal sealed class FlushClient(ConfigurationOptions options, Func<System.Net.EndPoint?>? primary = null) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RespWriter _commands = new();
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(Math.Max(options.AsyncTimeout, options.SyncTimeout));
    private RespConnection? _connection;

    /// <summary>Runs <paramref name="exchange"/> alone on the connection (opened if needed), within the configured timeout.</summary>
    public async Task<T> RunAsync<T>(Func<RespConnection, RespWriter, CancellationToken, Task<T>> exchange)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(_timeout);
        try
        {
            _connection ??= await RespConnection.OpenAsync(options, primary?.Invoke(), timeout.Token).ConfigureAwait(false);
            _commands.Clear();
            return await exchange(_connection, _commands, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await CloseAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && timeout.IsCancellationRequested)
                throw new TimeoutException($"Redis did not complete a feature flush within {_timeout.TotalMilliseconds:N0} ms", e);
            if (e is IOException or SocketException)
                throw RespErrors.Connection(ConnectionFailureType.SocketFailure, $"the feature flushes' connection to Redis failed: {e.Message}", e);
            if (e is RedisServerException && e.Message.Contains("READONLY", StringComparison.Ordinal))
                throw RespErrors.Connection(ConnectionFailureType.UnableToConnect, $"the feature flushes reached a read-only replica; reconnecting to the primary: {e.Message}", e);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask CloseAsync()
    {
        if (_connection is not { } closing) return;
        _connection = null;
        await closing.DisposeAsync().ConfigureAwait(false);
    }
}
