using Engine.Host.Configuration;
using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>
/// Refuses a Redis in cluster mode at start-up. A feature flush WATCHes and writes many users' keys in one transaction,
/// which a cluster refuses across hash slots (CROSSSLOT): found only then, the first flush would fail, be retried
/// for ever, and hold the whole stream back behind it.
/// </summary>
internal static class RedisTopology
{
    /// <exception cref="ConfigurationError">A connected server runs in Redis Cluster mode.</exception>
    public static void EnsureStandalone(IConnectionMultiplexer redis)
    {
        var clustered = redis.GetServers().Where(s => s.ServerType == ServerType.Cluster).Select(s => s.EndPoint.ToString()).ToList();
        if (clustered.Count == 0) return;
        throw new ConfigurationError([
            $"Redis:Endpoint: {string.Join(", ", clustered)} runs in Redis Cluster mode, which the engine does not support (a feature flush " +
            "writes many users' keys in one transaction, which a cluster refuses across hash slots): point it at a standalone Redis, " +
            "or a primary with replicas, and scale it up rather than out (docs/operations.md)."]);
    }
}
