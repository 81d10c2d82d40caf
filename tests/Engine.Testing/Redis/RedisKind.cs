using Xunit;

namespace Engine.Testing.Redis;

/// <summary>The servers every Redis test runs against: the embedded Garnet always, a real redis-server too.</summary>
public enum RedisKind
{
    Garnet,
    RedisServer,
}

/// <summary><c>[MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]</c> runs a test body on each server.</summary>
public static class RedisKinds
{
    public static TheoryData<RedisKind> Both => [RedisKind.Garnet, RedisKind.RedisServer];
}
