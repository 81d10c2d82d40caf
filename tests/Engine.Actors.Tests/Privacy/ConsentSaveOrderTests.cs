using Akka.Actor;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Privacy;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Privacy;
using Engine.Models.Recommendations;
using Engine.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;
using static Engine.Actors.Privacy.PrivacyProtocol;
using static Engine.Actors.Users.UserProtocol;

namespace Engine.Actors.Tests.Privacy;

/// <summary>
/// A consent is in Redis before the user's next message is handled: a reload in between (after a failure, or by the next
/// owner after a shard hand-off) read the consent before it, and the user was decided for as they had allowed before,
/// until the actor passivated (before 2026-12-07, review). Redis is held (SIGSTOP) while the consent is saved.
/// </summary>
public sealed class ConsentSaveOrderTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public ConsentSaveOrderTests(ITestOutputHelper output) : base(output: output) => _output = output;

    [Fact]
    public async Task The_users_next_message_waits_until_redis_has_the_consent()
    {
        using var world = new UserTestWorld();
        using var redis = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint + ",asyncTimeout=10000");
        var (store, privacy) = Stores(world, connection, "consent-order");
        var user = Sys.ActorOf(UserActor.Props("u-1", store, world.Decider(), privacy));
        user.Tell(new RecordEvent("u-1", View(0), new EventPosition(0, 0), DateTimeOffset.UtcNow));
        ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));

        redis.Freeze();
        user.Tell(new RecordConsent("u-1", "r-1", new Consent(Personalisation: false, AdTargeting: false)));
        user.Tell(new RecordEvent("u-1", View(1), new EventPosition(0, 1), DateTimeOffset.UtcNow));
        var whileHeld = ReceiveWhile(TimeSpan.FromSeconds(1.5), m => m);
        redis.Thaw();
        var consent = ExpectMsg<object>(TimeSpan.FromSeconds(15));
        var next = ExpectMsg<EntityHandled>(TimeSpan.FromSeconds(10));

        _output.WriteLine($"Redis held 1.5 s during the consent's save: answered meanwhile [{string.Join(", ", whileHeld.Select(m => m.GetType().Name))}]; " +
                         $"then {consent.GetType().Name}, then {next.GetType().Name}");
        Assert.Empty(whileHeld); // before: the event was answered at once, the consent not yet in Redis
        Assert.IsType<ConsentRecorded>(consent);
        Assert.Equal(NonPersonalDecisions.Factor, Assert.Single(next.Decisions.OfType<Recommendation>()).Reasons[0].Factor);
    }

    /// <summary>
    /// An idle user asks its shard to passivate it; a consent and an event arrive before the shard's stop message does. The
    /// stop waits behind them: with a PoisonPill (before 2026-12-07, review) the actor stopped mid-save with the event
    /// stashed, its ask timed out, and the node's whole user stream restarted.
    /// </summary>
    [Fact]
    public async Task An_idle_users_passivation_waits_behind_a_consent_being_saved()
    {
        using var world = new UserTestWorld();
        using var redis = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint + ",asyncTimeout=10000");
        var (store, privacy) = Stores(world, connection, "consent-passivate");
        var shard = CreateTestProbe();
        var idle = new IdlePassivation(TimeSpan.FromMilliseconds(300), new DurableOffsets());
        var user = shard.ChildActorOf(UserActor.Props("u-1", store, world.Decider(), privacy, idle));
        var stop = shard.ExpectMsg<Akka.Cluster.Sharding.Passivate>(TimeSpan.FromSeconds(10)).StopMessage;

        redis.Freeze();
        user.Tell(new RecordConsent("u-1", "r-1", new Consent(Personalisation: false, AdTargeting: false)));
        user.Tell(new RecordEvent("u-1", View(1), new EventPosition(0, 1), DateTimeOffset.UtcNow));
        user.Tell(stop, shard.Ref); // as the shard sends it, after what was already on its way
        await Task.Delay(500);
        redis.Thaw();
        var answers = ReceiveWhile(TimeSpan.FromSeconds(15), m => m, 2);
        _output.WriteLine($"stop message {stop.GetType().Name}; answered [{string.Join(", ", answers.Select(m => m.GetType().Name))}]");
        Assert.Equal(2, answers.Count);
        Assert.IsType<ConsentRecorded>(answers[0]);
        Assert.IsType<EntityHandled>(answers[1]);
        Watch(user);
        ExpectTerminated(user, TimeSpan.FromSeconds(10)); // and then it stops, as asked
    }

    /// <summary>The user's feature store and privacy store, on keys of the test's own.</summary>
    private static (FeatureStore Store, UserPrivacy Privacy) Stores(UserTestWorld world, IConnectionMultiplexer connection, string name)
    {
        var prefix = RedisFixture.UniquePrefix(name);
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = prefix + "f:" }, new FeatureMetrics());
        return (store, new UserPrivacy(new PrivacyStore(connection, store.Keys, new ChurnDueList(connection, prefix + "churn:"), partitions: 4),
            new NonPersonalDecisions(new RecommendationCache(world.Models.Recommender), "recs-test")));
    }

    private static ClickEvent View(int minute) => new()
    {
        EventId = $"u-1-view-{minute}", EventTime = UserTestWorld.T0.AddMinutes(minute), UserId = "u-1", SessionId = "s-1",
        Type = EventType.ProductView, ItemId = "shoe-" + minute, Category = "shoes",
    };
}
