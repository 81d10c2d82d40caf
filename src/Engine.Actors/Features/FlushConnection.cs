using StackExchange.Redis;

namespace Engine.Actors.Features;

/// <summary>
/// The connection the feature flushes write through, their commands handed to it by one flush at a time.
/// StackExchange.Redis writes a conditional transaction (<see cref="FlushTransaction"/>'s WATCH) while holding the
/// connection's writer, and holds it until the conditions' replies are back; a command another thread writes
/// meanwhile goes to its backlog queue, and that queue keeps the commands it carried (and their arguments)
/// reachable until a gen1 collection. Under load nearly every flush went that way: its transactions were ~75% of
/// what survived each gen0 collection (docs/performance.md, round 8). Waiting here instead, asynchronously, on a
/// connection nothing else writes to, keeps them out of the backlog. Replies are awaited outside the gate.
/// </summary>
internal sealed class FlushConnection(IConnectionMultiplexer redis)
{
    private readonly SemaphoreSlim _writing = new(1, 1);

    public IDatabase Database => redis.GetDatabase();

    /// <summary>Issues what <paramref name="send"/> writes once no other flush is writing; completes with its reply.</summary>
    public async Task<T> Send<T>(Func<Task<T>> send)
    {
        Task<T> reply;
        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            reply = send();
        }
        finally
        {
            _writing.Release();
        }
        return await reply.ConfigureAwait(false);
    }
}
