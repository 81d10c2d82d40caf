using Engine.Actors.Features;
using Engine.Actors.Users;
using Engine.Testing.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>
/// The churn due-list rides in the feature flush's transaction: before, it was a second round trip after the flush, so a
/// node that died between the two left users whose features were durable (and whose replay is superseded) off the list,
/// never checked for churn.
/// </summary>
public sealed class FlushScheduleTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_committed_flush_schedules_its_users_and_a_superseded_one_schedules_nobody(RedisKind kind)
    {
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, "flush-schedule");
        var due = new ChurnDueList(connection, store.Keys.Prefix + "churn:", retention: TimeSpan.FromDays(1));
        var day = (long)TimeSpan.FromDays(1).TotalMilliseconds;
        await due.ScheduleAsync(0, [new("aged", 1_000)]); // due longer ago than the retention, once the flush below lands

        var committed = await store.FlushAsync(new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = 10 }, [])
            { SortedSets = [due.Schedule(0, [new("u1", day + 5_000), new("u2", day + 6_000)])] });
        var superseded = await store.FlushAsync(new FeatureBatch(StoreFactory.Topic, new Dictionary<int, long> { [0] = 9 }, [])
            { SortedSets = [due.Schedule(0, [new("late", day + 7_000), new("u1", day + 9_000)])] });

        Assert.True(committed.Acknowledged, committed.Error);
        Assert.True(superseded.Superseded);
        Assert.Equal(["u1", "u2"], await due.DueAsync(0, asOfMs: long.MaxValue / 2, limit: 10));
        var db = connection.GetDatabase();
        Assert.Equal(day + 5_000, await db.SortedSetScoreAsync(due.Key(0), due.Member("u1")));
        var ttl = await db.KeyTimeToLiveAsync(due.Key(0));
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
    }
}
