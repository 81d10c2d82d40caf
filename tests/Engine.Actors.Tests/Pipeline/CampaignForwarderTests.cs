using Akka.Event;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Host.Embedded;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>The campaign-event forwards while their broker is away, on the embedded Kafka (one broker, taken down).</summary>
public sealed class CampaignForwarderTests
{
    /// <summary>
    /// Past its bound the forwarder makes the stream's writers wait instead of queueing more: before, forwards piled up in
    /// librdkafka's queue (the commit stage holds thousands of batches) until a produce failed with Local_QueueFull, and the
    /// stream restarted, replayed and filled it again, in a loop. Here the operator's queue holds 25 records and 60 wait:
    /// no produce is refused, and every forward is delivered once the broker is back.
    /// </summary>
    [Fact]
    public async Task While_the_broker_is_away_writers_wait_for_room_and_nothing_is_refused_or_lost()
    {
        await using var kafka = new EmbeddedKafka();
        const string topic = "forwards";
        kafka.CreateTopic(topic, 1);
        var watch = new DeliveryWatch();
        var settings = new KafkaProducerSettings(kafka.BootstrapServers, new Dictionary<string, string> { ["queue.buffering.max.messages"] = "25" }) { Watch = watch };
        using var forwarder = new CampaignForwarder(settings, TimeSpan.FromMilliseconds(1), NoLogger.Instance, maxOutstanding: 20);
        var broker = Assert.Single(kafka.BrokerIds);
        kafka.SetBrokerDown(broker);

        var sent = new List<Task>();
        for (var batch = 0; batch < 6; batch++)
        {
            if (batch >= 2) Assert.False(forwarder.RoomAsync().IsCompleted); // 20 and more wait: a writer would wait here
            sent.Add(forwarder.SendAsync([.. Enumerable.Range(0, 10).Select(i => new ProducerRecord(topic, [(byte)batch], [(byte)i]))]));
        }
        await Task.Delay(500);
        Assert.All(sent, s => Assert.False(s.IsCompleted));
        // Forwards never time out: how long the oldest has waited is what shows a stuck producer (/readyz, /metrics).
        Assert.InRange(watch.OldestWaiting(), TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(30));

        kafka.SetBrokerUp(broker);
        await Task.WhenAll(sent).WaitAsync(TimeSpan.FromSeconds(30));
        await forwarder.RoomAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.Zero, watch.OldestWaiting());
    }

    /// <summary>
    /// A writer waiting for room when its stream ends (the decisions' producer timed out during a long outage) fails at
    /// once: the disposed producer reports no more deliveries, so the room never came, the writer never ended, and the
    /// partition's next writer on this node waited behind it for good.
    /// </summary>
    [Fact]
    public async Task A_writer_waiting_for_room_fails_when_the_forwarder_closes_with_its_stream()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("forwards", 1);
        var forwarder = new CampaignForwarder(new KafkaProducerSettings(kafka.BootstrapServers), TimeSpan.FromMilliseconds(1), NoLogger.Instance, maxOutstanding: 1);
        var broker = Assert.Single(kafka.BrokerIds);
        kafka.SetBrokerDown(broker);
        _ = forwarder.SendAsync([new ProducerRecord("forwards", [1], [1])]);
        var room = forwarder.RoomAsync();
        Assert.False(room.IsCompleted);

        forwarder.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => room.WaitAsync(TimeSpan.FromSeconds(15)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => forwarder.RoomAsync());
        kafka.SetBrokerUp(broker);
    }

    /// <summary>
    /// A forward Kafka refuses for good (here a record too large for the topic) and later forwards of the same partition: the
    /// campaign state counts forwards by a high-water mark of their origins, so a later one that landed made the refused
    /// one's replay a duplicate, lost (review, 2026-12-06). Now nothing is sent past the refusal.
    /// </summary>
    [Fact]
    public async Task After_a_forward_kafka_refuses_for_good_no_later_forward_lands()
    {
        await using var kafka = new EmbeddedKafka();
        const string topic = "forwards";
        kafka.CreateTopic(topic, 1);
        using var forwarder = new CampaignForwarder(new KafkaProducerSettings(kafka.BootstrapServers), TimeSpan.FromMilliseconds(1), NoLogger.Instance);
        await forwarder.SendAsync([new ProducerRecord(topic, [0], [0])]).WaitAsync(TimeSpan.FromSeconds(30)); // the producer is up

        kafka.FailNextRequests(KafkaApi.Produce, Confluent.Kafka.ErrorCode.MsgSizeTooLarge);
        var refused = forwarder.SendAsync([new ProducerRecord(topic, [0], [1])]);
        await Assert.ThrowsAsync<Confluent.Kafka.KafkaException>(() => refused.WaitAsync(TimeSpan.FromSeconds(30)));
        var later = forwarder.SendAsync([new ProducerRecord(topic, [0], [2])]);
        await Assert.ThrowsAnyAsync<Exception>(() => later.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<Exception>(() => forwarder.RoomAsync());

        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "watermarks" }).Build();
        Assert.Equal(1, consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(topic, 0), TimeSpan.FromSeconds(10)).High.Value);
    }

    /// <summary>
    /// A forward the client refuses before sending it (over <c>message.max.bytes</c>) is a gap librdkafka does not know of: the
    /// forwarder keeps it, so nothing after it lands, and the batch waits for nothing (review, 2026-12-06).
    /// </summary>
    [Fact]
    public async Task A_forward_refused_before_it_is_sent_lets_no_later_forward_land_and_waits_for_nothing()
    {
        await using var kafka = new EmbeddedKafka();
        const string topic = "forwards";
        kafka.CreateTopic(topic, 1);
        var watch = new DeliveryWatch();
        using var forwarder = new CampaignForwarder(new KafkaProducerSettings(kafka.BootstrapServers) { Watch = watch }, TimeSpan.FromMilliseconds(1), NoLogger.Instance);

        var refused = forwarder.SendAsync([new ProducerRecord(topic, [0], [1]), new ProducerRecord(topic, [0], new byte[1_100_000])]);
        await Assert.ThrowsAnyAsync<Exception>(() => refused.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<Exception>(() => forwarder.SendAsync([new ProducerRecord(topic, [0], [2])]).WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<Exception>(() => forwarder.RoomAsync());

        await Task.Delay(500); // the first record's report
        Assert.Equal(TimeSpan.Zero, watch.OldestWaiting());
        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "watermarks" }).Build();
        Assert.InRange(consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(topic, 0), TimeSpan.FromSeconds(10)).High.Value, 0, 1);
    }
}
