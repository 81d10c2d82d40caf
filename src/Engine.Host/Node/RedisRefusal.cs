using StackExchange.Redis;

namespace Engine.Host.Node;

/// <summary>How start-up reads a Redis refusal: one no restart changes is a setting to fix (exit 2), any other passes (exit 3).</summary>
internal static class RedisRefusal
{
    /// <summary>The refusal's code: the first word of Redis's answer (<c>NOPERM</c>, <c>WRONGTYPE</c>, <c>LOADING</c>...).</summary>
    public static string Code(RedisServerException e) => e.Message.Split(' ')[0];

    /// <summary>Rights (an ACL), credentials, or a key of another type where the engine's is: they last until fixed.</summary>
    public static bool ForGood(RedisServerException e) => Code(e) is "NOPERM" or "WRONGTYPE" or "NOAUTH" or "WRONGPASS";
}
