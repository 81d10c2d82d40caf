using Engine.Actors.Features;
using Engine.Models.Features;
using Engine.Models.Features.State;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>
/// What an actor writes outside a flush, only while Redis holds what it expects: a churn episode a sweep moved
/// (<see cref="FeatureStore.SaveChurnEpisodeAsync"/>), a campaign's pace step (<see cref="FeatureStore.SaveCampaignPacingAsync"/>).
/// </summary>
public class ConditionalWritesTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const long LastEvent = 1_700_000_000_000;

    /// <summary>A store of the test's own on the server of <paramref name="kind"/>, and the key of the entity it writes.</summary>
    private (FeatureStore Store, IDatabase Db, string Key) Stored(RedisKind kind, string test, EntityKind entity, string id)
    {
        var connection = redis.Connect(kind);
        var store = StoreFactory.Create(connection, test);
        return (store, connection.GetDatabase(), store.Keys.Entity(entity, id));
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task The_episode_is_written_only_while_the_stored_last_event_is_the_writers(RedisKind kind)
    {
        var (store, db, key) = Stored(kind, "churn-episode", EntityKind.User, "u1");
        await db.HashSetAsync(key, EntityFeatureState.LastEventField, LastEvent);

        Assert.True(await store.SaveChurnEpisodeAsync("u1", "alert-1\tevent-1", LastEvent));
        Assert.Equal("alert-1\tevent-1", (string?)await db.HashGetAsync(key, UserFeatureState.ChurnAlertField));

        // A newer writer moved last_event on: the older actor's save is not applied.
        Assert.False(await store.SaveChurnEpisodeAsync("u1", null, LastEvent - 1));
        Assert.Equal("alert-1\tevent-1", (string?)await db.HashGetAsync(key, UserFeatureState.ChurnAlertField));

        Assert.True(await store.SaveChurnEpisodeAsync("u1", null, LastEvent));
        Assert.False(await db.HashExistsAsync(key, UserFeatureState.ChurnAlertField));

        // An erased (or expired) user gets nothing back.
        await db.KeyDeleteAsync(key);
        Assert.False(await store.SaveChurnEpisodeAsync("u1", "alert-2\tevent-2", LastEvent));
        Assert.False(await db.KeyExistsAsync(key));
    }

    [Theory]
    [MemberData(nameof(RedisKinds.Both), MemberType = typeof(RedisKinds))]
    public async Task A_pace_step_is_written_only_over_an_earlier_running_clock(RedisKind kind)
    {
        var (store, db, key) = Stored(kind, "pace-step", EntityKind.Campaign, "c1");
        await db.HashSetAsync(key, [new(EntityFeatureState.LastEventField, LastEvent), new(CampaignFeatureState.PacingField, Memory(100))]);

        Assert.True(await store.SaveCampaignPacingAsync("c1", Memory(102), 102, LastEvent));
        Assert.Equal(Memory(102), (string?)await db.HashGetAsync(key, CampaignFeatureState.PacingField));
        // A step whose write failed or timed out (101, or 102 again) comes back later: the clock only moves forward.
        Assert.False(await store.SaveCampaignPacingAsync("c1", Memory(101), 101, LastEvent));
        Assert.False(await store.SaveCampaignPacingAsync("c1", Memory(102), 102, LastEvent));
        Assert.True(await store.SaveCampaignPacingAsync("c1", Memory(103), 103, LastEvent));
        // An event's flush that landed meanwhile: an exhaustion, or a clock stopped outside the flight, is never replaced.
        await db.HashSetAsync(key, CampaignFeatureState.PacingField, Memory(-1, exhaustedTick: 103));
        Assert.False(await store.SaveCampaignPacingAsync("c1", Memory(104), 104, LastEvent));
        await db.HashSetAsync(key, CampaignFeatureState.PacingField, Memory(-1));
        Assert.False(await store.SaveCampaignPacingAsync("c1", Memory(104), 104, LastEvent));
        // Another writer's state (a later event), or none at all.
        await db.HashSetAsync(key, CampaignFeatureState.PacingField, Memory(100));
        Assert.False(await store.SaveCampaignPacingAsync("c1", Memory(104), 104, LastEvent + 1));
        await db.HashDeleteAsync(key, CampaignFeatureState.PacingField);
        Assert.False(await store.SaveCampaignPacingAsync("c1", Memory(104), 104, LastEvent));
        Assert.False(await db.HashExistsAsync(key, CampaignFeatureState.PacingField));
    }

    private static string Memory(long lastTick, long exhaustedTick = -1) =>
        new Engine.Models.Decisions.PacingMemory(new Engine.Models.Decisions.PacingState(0.5, 0.1, 0.5), lastTick, lastTick, exhaustedTick).Format();

    [Fact]
    public async Task A_save_while_Redis_is_slow_returns_at_once_and_lands_once_Redis_answers()
    {
        using var server = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        // The client waits far longer than the freeze: what is tested is the caller's thread, not the client's patience
        // (with the fixture's 2 s, a thaw that reached the stopped process late on a busy machine failed the save).
        var options = RedisFixture.Options(server.Endpoint);
        options.AsyncTimeout = options.SyncTimeout = 15_000;
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var store = StoreFactory.Create(connection, "churn-episode-slow");
        var db = connection.GetDatabase();
        var key = store.Keys.Entity(EntityKind.User, "u1");
        await db.HashSetAsync(key, EntityFeatureState.LastEventField, LastEvent);

        server.Freeze();
        var thawing = 0;
        var thaw = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => { Volatile.Write(ref thawing, 1); server.Thaw(); });
        var save = store.SaveChurnEpisodeAsync("u1", "alert-1\tevent-1", LastEvent);
        var returnedWhileFrozen = Volatile.Read(ref thawing) == 0;
        await thaw;

        // The caller is a user actor's thread: waiting for Redis there stalls every actor on it (before 2026-12-07 a
        // transaction's condition held it for the whole freeze). A call that waited for the reply cannot return before
        // the thaw; one that did not returns at once, well inside the 2 s freeze.
        Assert.True(returnedWhileFrozen, "the save waited for the frozen Redis before returning to its caller");
        Assert.True(await save);
        Assert.Equal("alert-1\tevent-1", (string?)await db.HashGetAsync(key, UserFeatureState.ChurnAlertField));
    }
}
