using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Models.Contracts;

namespace Engine.Host.Tests.Demo;

public sealed class SimulatedProducerTests
{
    [Fact]
    public async Task Events_Kafka_did_not_acknowledge_are_counted_as_failed_not_as_sent()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics([Topics.Clickstream], 2);
        var options = new DemoOptions(Events: 50, Users: 20, Campaigns: 2, Partitions: 2, MalformedShare: 0);

        // librdkafka's default delivery timeout: a first send to a fresh cluster on a loaded CI host took more than 1 s (2026-12-07).
        var delivered = new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options);
        await delivered.RunAsync(CancellationToken.None);
        Assert.Equal((50, 0, 50), (delivered.Produced, delivered.Failed, delivered.Delivered));

        foreach (var broker in kafka.BrokerIds) kafka.SetBrokerDown(broker);
        var lost = new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options,
            client: new Dictionary<string, string> { ["message.timeout.ms"] = "1000" });
        await lost.RunAsync(CancellationToken.None);
        Assert.True(lost.Produced > 0);
        Assert.Equal((lost.Produced, 0L), (lost.Failed, lost.Delivered)); // all handed over failed (it stops at the first failure)
        Assert.NotNull(lost.FirstError);
    }

    /// <summary>
    /// A clickstream Kafka refuses (an ACL): before 2026-12-07 the producer waited for the engine to read events that never
    /// reached Kafka, forever, and the demo printed "in 0" each second without a reason. It stops at the first refusal.
    /// </summary>
    [Fact]
    public async Task A_clickstream_kafka_refuses_ends_the_run_with_the_reason()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics([Topics.Clickstream], 2);
        kafka.SetTopicError(Topics.Clickstream, Confluent.Kafka.ErrorCode.TopicAuthorizationFailed);
        var options = new DemoOptions(Events: 20_000, Users: 200, Campaigns: 2, Partitions: 2, MalformedShare: 0);
        var refused = new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options, consumed: () => 0,
            client: new Dictionary<string, string> { ["message.timeout.ms"] = "3000" });

        await refused.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(refused.Failed > 0);
        Assert.Equal(refused.Produced, refused.Failed); // none reached Kafka; none is waited for
        Assert.NotNull(refused.FirstError);
    }

    /// <summary>
    /// Brokers away and the producer's queue full: a stop is heard at once, not after <c>message.timeout.ms</c> (5 min by
    /// default), as it was before 2026-12-08 (review): the queue-full loop did not look at the stop.
    /// </summary>
    [Fact]
    public async Task A_stop_is_heard_while_the_producers_queue_is_full_with_the_brokers_away()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics([Topics.Clickstream], 2);
        foreach (var broker in kafka.BrokerIds) kafka.SetBrokerDown(broker);
        var options = new DemoOptions(Events: 1_000, Users: 20, Campaigns: 2, Partitions: 2, MalformedShare: 0);
        var stuck = new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options,
            client: new Dictionary<string, string> { ["queue.buffering.max.messages"] = "10" });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        var run = stuck.RunAsync(stop.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(10, stuck.Produced); // what the queue took before it was full
        Assert.Equal(0, stuck.Delivered);
    }
}
