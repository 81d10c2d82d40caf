using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// The connection the feature flushes write through, their commands handed to it by one thread at a time.
/// StackExchange.Redis puts a command in its backlog queue when another thread is writing to the same connection, and
/// that queue keeps the commands it carried (and their arguments) reachable until a gen1 collection: under load nearly
/// every flush went that way, and its transactions were ~75% of what survived each gen0 collection (docs/performance.md,
/// round 8). Handing them over one at a time, on a connection nothing else writes to, keeps them out of the backlog.
/// Only the hand-over is serialized (a synchronous write into the socket's buffer); replies are awaited outside.
/// </summary>
internal sealed class FlushConnection(IConnectionMultiplexer redis)
{
    private readonly Lock _writing = new();

    public IDatabase Database => redis.GetDatabase();

    /// <summary>Issues the command(s) <paramref name="send"/> writes while no other flush writes; returns their reply.</summary>
    public Task<T> Send<T>(Func<Task<T>> send)
    {
        lock (_writing) return send();
    }
}
