using Engine.Actors.Features;
using Engine.Actors.Privacy;
using Engine.Actors.Users;
using Engine.Models.Features.State;
using Engine.Models.Privacy;
using Engine.Testing.Redis;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Privacy;

/// <summary>
/// With <c>Redis:AcknowledgingReplicas</c>, an erasure or a consent is done only once a replica holds it: acknowledged on the
/// primary's word alone, a failover to a replica that lagged brought back erased features or undid an opt-out (before 2026-12-07).
/// </summary>
public class PrivacyReplicationTests
{
    [Fact]
    public async Task With_a_replica_asked_for_an_erasure_and_a_consent_return_only_once_a_replica_holds_them()
    {
        using var primary = new RedisServerProcess();
        await primary.StartAsync();
        using var main = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(primary.Endpoint));
        var prefix = RedisFixture.UniquePrefix("privacy-replicas");
        var options = new FeatureStoreOptions { KeyPrefix = prefix, AcknowledgingReplicas = 1, ReplicaWait = TimeSpan.FromMilliseconds(200) };
        await using var features = new FeatureStore(main, options, new FeatureMetrics());
        var privacy = new PrivacyStore(main, features.Keys, new ChurnDueList(main, prefix + "churn:"), partitions: 1, features);
        var db = main.GetDatabase();
        await db.HashSetAsync(features.Keys.Entity(EntityKind.User, "u1"), "f", 1);

        // No replica: carried out on the primary, but not done (the privacy consumer retries, and acknowledges nothing meanwhile).
        var erasure = await Assert.ThrowsAsync<RedisServerException>(() => privacy.EraseAsync("u1"));
        var consent = await Assert.ThrowsAsync<RedisServerException>(() => privacy.SaveConsentAsync("u2", new Consent(false, false)));
        Assert.Contains("NOREPLICAS", erasure.Message);
        Assert.Contains("NOREPLICAS", consent.Message);

        using var replica = new RedisServerProcess(replicaOf: primary.Port);
        await replica.StartAsync();
        // Half the client's 2 s timeout, as run derives it (RedisOptions): a wait as long as the timeout raced it, and lost on a
        // machine where the replica's first sync (diskless, after redis-server's 5 s delay) outlasted it (2026-12-07).
        options.ReplicaWait = TimeSpan.FromSeconds(1);
        await db.HashSetAsync(features.Keys.Entity(EntityKind.User, "u3"), "f", 1);
        IReadOnlyList<string>? removed = null;
        // The replica's first sync may outlast a wait: retried, as the privacy consumer does.
        for (var attempt = 0; removed is null && attempt < 20; attempt++)
        {
            try
            {
                await privacy.SaveConsentAsync("u2", new Consent(false, false));
                removed = await privacy.EraseAsync("u3");
            }
            catch (RedisServerException e) when (e.Message.Contains("NOREPLICAS", StringComparison.Ordinal))
            {
            }
        }

        Assert.NotNull(removed);
        using var onReplica = await ConnectionMultiplexer.ConnectAsync(RedisFixture.Options(replica.Endpoint));
        Assert.False(await onReplica.GetDatabase().KeyExistsAsync(features.Keys.Entity(EntityKind.User, "u3")));
        Assert.Equal("0", (string?)await onReplica.GetDatabase().HashGetAsync(features.Keys.Consent("u2"), "ad_targeting"));
    }
}
