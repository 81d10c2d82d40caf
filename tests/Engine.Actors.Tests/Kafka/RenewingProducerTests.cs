using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Host.Embedded;
using Engine.Testing.Kafka;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class RenewingProducerTests(KafkaFixture kafka, ITestOutputHelper output) : IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An idempotent producer whose head-of-line produce is answered OUT_OF_ORDER_SEQUENCE_NUMBER fails fatally and, left as it is, refuses
    /// every later send. The renewing producer sends the next one on a new producer: before 2026-12-07 the node's churn
    /// alerts and privacy acks were refused from then on until the process restarted.
    /// </summary>
    [Fact]
    public async Task A_send_after_a_fatal_error_goes_out_on_a_new_producer()
    {
        var faults = await kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("renewing");
        await faults.CreateTopicAsync(topic, 1);
        var fatal = new List<Error>();
        using var producer = new RenewingProducer(new ProducerConfig
        {
            BootstrapServers = faults.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, MessageTimeoutMs = 10_000,
        }, error => { lock (fatal) fatal.Add(error); });
        await producer.ProduceAsync(topic, Message("before")).WaitAsync(Timeout);

        faults.FailNextRequests(KafkaApi.Produce, ErrorCode.OutOfOrderSequenceNumber);
        var refused = await Assert.ThrowsAnyAsync<KafkaException>(() => producer.ProduceAsync(topic, Message("refused")).WaitAsync(Timeout));
        var after = await producer.ProduceAsync(topic, Message("after")).WaitAsync(Timeout);

        output.WriteLine($"injected: one produce answered OUT_OF_ORDER_SEQUENCE_NUMBER; the send failed with {refused.Error.Code}; " +
                         $"fatal errors reported: {string.Join("; ", fatal.Select(e => e.Reason))}; renewals: {producer.Renewals}; " +
                         $"the next send: {after.Status} at offset {after.Offset}");
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, refused.Error.Code);
        Assert.NotEmpty(fatal); // the producer it was sent on failed fatally, not just this send
        Assert.Equal(PersistenceStatus.Persisted, after.Status);
        Assert.Equal(1, producer.Renewals);
    }

    /// <summary>
    /// A send stuck on a broker that is away is watched as the pipelines' sends are, so /readyz sees a churn alert or privacy
    /// ack waiting for Kafka (before 2026-12-07 these sends were not watched, and the node stayed ready).
    /// </summary>
    [Fact]
    public async Task A_send_waiting_for_kafka_is_watched_until_acknowledged()
    {
        var faults = await kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("renewing-watch");
        await faults.CreateTopicAsync(topic, 1);
        var watch = new DeliveryWatch();
        using var producer = new RenewingProducer(new ProducerConfig { BootstrapServers = faults.BootstrapServers, EnableIdempotence = true, Acks = Acks.All },
            watch: watch);
        await producer.ProduceAsync(topic, Message("first")).WaitAsync(Timeout);
        Assert.Equal(TimeSpan.Zero, watch.OldestWaiting());

        var brokers = faults.BrokerIds;
        foreach (var broker in brokers) faults.SetBrokerDown(broker);
        Task<DeliveryResult<byte[], byte[]>> sent;
        var reported = false;
        try
        {
            sent = producer.ProduceAsync(topic, Message("stuck"));
            producer.Produce(topic, Message("stuck too"), _ => reported = true);
            await Task.Delay(700);
            var waited = watch.OldestWaiting();
            output.WriteLine($"injected: every broker down; after 700 ms the oldest send has waited {waited.TotalMilliseconds:F0} ms");
            Assert.InRange(waited, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (var broker in brokers) faults.SetBrokerUp(broker);
        }
        await sent.WaitAsync(Timeout);
        producer.Flush(Timeout);
        Assert.True(reported);
        Assert.Equal(TimeSpan.Zero, watch.OldestWaiting());
    }

    /// <summary>
    /// A send already with a broker (a slow one: 3 s to answer) when another partition's produce fails the producer fatally
    /// still completes with that broker's answer, and is no longer watched: before the failed producer was drained before
    /// closing, the next send closed it at once, the answer that came later was dropped, and the send waited for ever (a review).
    /// </summary>
    [Fact]
    public async Task A_send_in_flight_when_the_producer_is_replaced_still_completes()
    {
        var faults = await kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("renewing-inflight");
        await faults.CreateTopicAsync(topic, 2);
        var (first, second) = (faults.BrokerIds[0], faults.BrokerIds[1]);
        faults.SetPartitionLeader(topic, 0, first);
        faults.SetPartitionLeader(topic, 1, second);
        var watch = new DeliveryWatch();
        using var producer = new RenewingProducer(new ProducerConfig
        {
            BootstrapServers = faults.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, MessageTimeoutMs = 20_000,
        }, watch: watch);
        await producer.ProduceAsync(new TopicPartition(topic, 0), Message("p0")).WaitAsync(Timeout);
        await producer.ProduceAsync(new TopicPartition(topic, 1), Message("p1")).WaitAsync(Timeout);

        Task<DeliveryResult<byte[], byte[]>> inFlight;
        faults.SetBrokerRoundTrip(second, TimeSpan.FromSeconds(3));
        try
        {
            inFlight = producer.ProduceAsync(new TopicPartition(topic, 1), Message("in flight"));
            await Task.Delay(300);
            faults.FailNextRequests(KafkaApi.Produce, ErrorCode.OutOfOrderSequenceNumber); // only the first broker takes produces now
            await Assert.ThrowsAnyAsync<KafkaException>(() => producer.ProduceAsync(new TopicPartition(topic, 0), Message("fatal")).WaitAsync(Timeout));
            await producer.ProduceAsync(new TopicPartition(topic, 0), Message("renewed")).WaitAsync(Timeout); // replaces the failed one
        }
        finally
        {
            faults.SetBrokerRoundTrip(second, TimeSpan.Zero);
        }

        DeliveryResult<byte[], byte[]>? delivered = null;
        var outcome = await Record.ExceptionAsync(async () => delivered = await inFlight.WaitAsync(Timeout));
        output.WriteLine($"injected: partition 1's broker answering in 3 s, then partition 0's produce answered OUT_OF_ORDER_SEQUENCE_NUMBER; renewals {producer.Renewals}; " +
                         $"the send in flight ended with {(outcome is null ? delivered!.Status.ToString() : outcome.Message)}");
        Assert.IsNotType<TimeoutException>(outcome);
        Assert.Equal(1, producer.Renewals);
        Assert.Equal(TimeSpan.Zero, watch.OldestWaiting());
    }

    private static Message<byte[], byte[]> Message(string value) =>
        new() { Key = "k"u8.ToArray(), Value = System.Text.Encoding.UTF8.GetBytes(value) };
}
