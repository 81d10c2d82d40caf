using StackExchange.Redis;

namespace Engine.Actors.Features.Resp;

/// <summary>Failures as StackExchange.Redis's exception types, so callers retry them as they retry the multiplexer's.</summary>
internal static class RespErrors
{
    public static RedisConnectionException Connection(ConnectionFailureType type, string message, Exception? inner = null) =>
        new(type, CommandFlags.None, message, inner!, CommandStatus.Unknown);

    /// <summary>An error reply, its text as Redis sent it (e.g. <c>LOADING ...</c>, which the store treats as passing).</summary>
    public static RedisServerException Server(string message) => new(RedisErrorKind.Unknown, CommandFlags.None, message);
}
