using System.Text;
using System.Text.Json;
using Akka.Actor;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Privacy;
using Engine.Actors.Tests.Kafka;
using Engine.Actors.Users;
using Engine.Host.Embedded;
using Engine.Models.Contracts;
using Engine.Testing.Kafka;
using Engine.Testing.Redis;
using Xunit.Abstractions;
using static Engine.Actors.Privacy.PrivacyProtocol;

namespace Engine.Actors.Tests.Privacy;

/// <summary>The privacy requests' consumer on a real Kafka protocol: it outlives a failed commit.</summary>
public sealed class PrivacyControlTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private readonly KafkaFixture _kafka;
    private readonly RedisFixture _redis;
    private readonly ITestOutputHelper _output;

    public PrivacyControlTests(KafkaFixture kafka, RedisFixture redis, ITestOutputHelper output) : base(output: output)
    {
        (_kafka, _redis, _output) = (kafka, redis, output);
    }

    [KafkaFaultFact]
    public async Task A_commit_refused_during_a_rebalance_ends_only_that_consumer_and_later_requests_are_still_carried_out()
    {
        var (requests, acks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"));
        await _kafka.CreateTopicAsync(requests, 1);
        await _kafka.CreateTopicAsync(acks, 1);
        // Stands for the user region: every consent is recorded.
        var users = Sys.ActorOf(Props.Create(() => new ConsentRecorder()));
        var connection = _redis.Connect(RedisKind.Garnet);
        var prefix = RedisFixture.UniquePrefix("privacy-control");
        var store = new PrivacyStore(connection, new FeatureKeys(prefix), new ChurnDueList(connection, prefix + "churn:"), partitions: 1);
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, "privacy-" + requests), acks, "clickstream",
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), "engine");

        // The first request's commit is refused (rebalance in progress), as on a real Kafka while the group rebalances.
        _kafka.FailNextRequests(KafkaApi.OffsetCommit, ErrorCode.RebalanceInProgress);
        await using var control = new PrivacyControl(settings, users, store, producer, Sys.Log);
        await SendAsync(producer, requests, "consent-1");
        await SendAsync(producer, requests, "consent-2");

        var acknowledged = ReadAcks(acks, until: ids => ids.Contains("consent-2"), TimeSpan.FromSeconds(60));
        _output.WriteLine($"injected: 1 refused commit; acknowledged, in order: {string.Join(", ", acknowledged)}");
        // The refused request is carried out again by the consumer that joined after the failure (at-least-once), and
        // the request after it too: before, the first Kafka error stopped the node's privacy requests for good.
        Assert.Equal(["consent-1", "consent-1", "consent-2"], acknowledged);
    }

    private static async Task SendAsync(IProducer<byte[], byte[]> producer, string topic, string requestId)
    {
        var request = new PrivacyRequest { Type = PrivacyRequestTypes.Consent, RequestId = requestId, UserId = "u-" + requestId, Personalisation = false };
        await producer.ProduceAsync(topic, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(request.UserId), Value = JsonSerializer.SerializeToUtf8Bytes(request, EngineJson.Default.PrivacyRequest),
        });
    }

    private List<string> ReadAcks(string topic, Func<List<string>, bool> until, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            { BootstrapServers = _kafka.BootstrapServers, GroupId = "acks-" + topic, AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var ids = new List<string>();
        var deadline = DateTime.UtcNow + timeout;
        while (!until(ids) && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message is { } message)
                ids.Add(JsonSerializer.Deserialize(message.Value, EngineJson.Default.PrivacyAck)!.RequestId);
        return ids;
    }

    private sealed class ConsentRecorder : ReceiveActor
    {
        public ConsentRecorder() => Receive<RecordConsent>(r => Sender.Tell(new ConsentRecorded(r.UserId, r.RequestId)));
    }
}
