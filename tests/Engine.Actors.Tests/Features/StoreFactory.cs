using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Testing.Features;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Features;

internal static class StoreFactory
{
    public const string Topic = "engine.clickstream";

    public static FeatureStore Create(IConnectionMultiplexer redis, string test, int maxAttempts = 5) =>
        new(redis, Options(test, maxAttempts), new FeatureMetrics());

    public static FeatureStoreOptions Options(string test, int maxAttempts = 5) => new()
    {
        KeyPrefix = Engine.Testing.Redis.RedisFixture.UniquePrefix(test),
        AllowedLateness = FeatureScenario.Lateness,
        MaxAttempts = maxAttempts,
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
    };

    /// <summary>User u1 viewing one of three items, <paramref name="minute"/> minutes after the scenario's start.</summary>
    public static ClickEvent View(int minute) => new()
    {
        EventId = $"e{minute}",
        EventTime = FeatureScenario.Start.AddMinutes(minute),
        UserId = "u1",
        SessionId = "s1",
        Type = EventType.ProductView,
        ItemId = $"i{minute % 3}",
        Category = "shoes",
    };

    /// <summary>Every hash field of every key under the store's prefix, for "nothing changed" comparisons.</summary>
    public static async Task<SortedDictionary<string, string>> DumpAsync(IConnectionMultiplexer redis, FeatureStore store, IEnumerable<string> keys)
    {
        var dump = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            foreach (var entry in await redis.GetDatabase().HashGetAllAsync(key))
                dump[$"{key}/{entry.Name}"] = entry.Value!;
        }
        return dump;
    }
}
