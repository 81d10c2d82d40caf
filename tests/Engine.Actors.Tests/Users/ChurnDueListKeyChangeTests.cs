using Engine.Actors.Users;
using Engine.Models.Privacy;
using Engine.Testing.Redis;

namespace Engine.Actors.Tests.Users;

public sealed class ChurnDueListKeyChangeTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    /// <summary>
    /// After <c>Privacy:PseudonymKey</c> changes, the entries sealed under the old key are due first and cannot be opened:
    /// read as they came, they filled every read of <c>limit</c> and no user behind them was woken until they aged out of
    /// the list (35 days). They are dropped as met, and the read goes on to the users behind them.
    /// </summary>
    [Fact]
    public async Task Entries_sealed_under_a_former_key_are_dropped_and_do_not_hide_the_users_behind_them()
    {
        var connection = redis.Connect(RedisKind.Garnet);
        var prefix = RedisFixture.UniquePrefix("due-key-change");
        var before = new ChurnDueList(connection, prefix, new UserIdSealer(Enumerable.Repeat((byte)1, 32).ToArray()));
        var after = new ChurnDueList(connection, prefix, new UserIdSealer(Enumerable.Repeat((byte)2, 32).ToArray()));
        await before.ScheduleAsync(0, [new("old-1", 1_000), new("old-2", 2_000), new("old-3", 2_500)]);
        await after.ScheduleAsync(0, [new("new-1", 3_000), new("new-2", 4_000)]);

        Assert.Equal(["new-1"], await after.DueAsync(0, asOfMs: 10_000, limit: 1));
        Assert.Equal(["new-1", "new-2"], await after.DueAsync(0, asOfMs: 10_000, limit: 5));
        Assert.Equal(2, await connection.GetDatabase().SortedSetLengthAsync(after.Key(0))); // the former key's entries are gone
    }
}
