using Akka.Serialization;
using Engine.Actors.Sharding;
using Engine.Models.Privacy;
using static Engine.Actors.Privacy.PrivacyProtocol;

namespace Engine.Actors.Tests.Privacy;

/// <summary>Privacy requests and answers cross nodes while shards move: they survive the wire with the engine's serializer.</summary>
public sealed class PrivacySerializerTests() : Akka.TestKit.Xunit2.TestKit(EntityMessageSerializer.Config)
{
    [Fact]
    public void Privacy_requests_and_replies_round_trip_through_the_bound_serializer()
    {
        Assert.Equal(new EraseUser("u-1", "r-1"), RoundTrip(new EraseUser("u-1", "r-1")));
        Assert.Equal(new RecordConsent("u-1", "r-2", new Consent(false, true)), RoundTrip(new RecordConsent("u-1", "r-2", new Consent(false, true))));
        Assert.Equal(new ConsentRecorded("u-1", "r-2"), RoundTrip(new ConsentRecorded("u-1", "r-2")));
        Assert.Equal(new PrivacyFailed("u-1", "r-3", "RedisTimeoutException"), RoundTrip(new PrivacyFailed("u-1", "r-3", "RedisTimeoutException")));
        var erased = RoundTrip(new UserErased("u-1", "r-4", ["features", "churn_due"]));
        Assert.Equal(("u-1", "r-4"), (erased.UserId, erased.RequestId));
        Assert.Equal(["features", "churn_due"], erased.Removed);
        Assert.Null(erased.LastAnswered);
        Assert.Equal(new Engine.Models.Features.EventPosition(3, 41), RoundTrip(new UserErased("u-1", "r-5", [], new Engine.Models.Features.EventPosition(3, 41))).LastAnswered);
    }

    private T RoundTrip<T>(T message) where T : class
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<EntityMessageSerializer>(serializer);
        var manifest = Serialization.ManifestFor(serializer, message);
        return Assert.IsType<T>(Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest));
    }
}
