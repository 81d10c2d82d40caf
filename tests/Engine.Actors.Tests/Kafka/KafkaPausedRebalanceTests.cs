using System.Collections.Concurrent;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaPausedRebalanceTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);
    private readonly KafkaFixture _kafka;
    private readonly ITestOutputHelper _output;

    public KafkaPausedRebalanceTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        _kafka = kafka;
        _output = output;
    }

    /// <summary>
    /// librdkafka keeps a partition's pause flag across revoke and re-assign, while a new assignment starts unpaused in our
    /// books: a partition paused at revocation and given back must still be read.
    /// </summary>
    [Fact]
    public async Task Partitions_paused_when_revoked_are_read_again_once_reassigned()
    {
        var topic = KafkaFixture.UniqueTopic("paused-rebalance");
        var group = "paused-rebalance-" + topic;
        const int partitions = 2, count = 2_000, bound = 50;
        await _kafka.CreateTopicAsync(topic, partitions);
        await KafkaTestData.ProduceAsync(_kafka, topic, 0, count);

        // The stream takes nothing until the gate opens, so every partition fills its bound and is paused.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentQueue<KafkaRecord>();
        var settings = KafkaTestData.Consumer(_kafka, topic, group, maxBuffered: bound) with { PollBurst = 10 };
        var (control, done) = KafkaSource.CommittableSource(settings)
            .SelectAsync(1, async m => { await gate.Task; seen.Enqueue(m.Record); return m.Offset; })
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both)
            .Run(Sys.Materializer());
        await WaitUntil(() => control.Metrics.Pauses >= partitions);

        // A second member joins and leaves: the paused partitions are revoked, and all of them come back.
        await Task.Run(() => JoinAndLeave(group, topic)).WaitAsync(Timeout);
        gate.SetResult();

        await WaitUntil(() => seen.Select(KafkaTestData.Id).Distinct().Count() == count);
        await control.DrainAndShutdownAsync(done).WaitAsync(Timeout);
        _output.WriteLine($"{_kafka.Describe()}; {count} messages on {partitions} partitions, paused at revocation; saw {seen.Count}; {control.Metrics}");
    }

    private void JoinAndLeave(string group, string topic)
    {
        var assigned = false;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = _kafka.BootstrapServers, GroupId = group, EnableAutoCommit = false,
            SessionTimeoutMs = 6000, HeartbeatIntervalMs = 500,
        }).SetPartitionsAssignedHandler((_, _) => assigned = true).Build();
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + Timeout;
        // It reads nothing it commits: everything stays for the first member.
        while (!assigned && DateTime.UtcNow < deadline) consumer.Consume(TimeSpan.FromMilliseconds(100));
        Assert.True(assigned, "the second member was never assigned");
        consumer.Close();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in " + Timeout);
            await Task.Delay(50);
        }
    }
}
