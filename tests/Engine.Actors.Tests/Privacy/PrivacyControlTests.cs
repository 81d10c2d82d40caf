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
using Engine.Models.Features;
using Engine.Testing.Kafka;
using Engine.Testing.Redis;
using Xunit.Abstractions;
using static Engine.Actors.Privacy.PrivacyProtocol;

namespace Engine.Actors.Tests.Privacy;

/// <summary>The privacy requests' consumer on a real Kafka protocol: it outlives a failed commit.</summary>
public sealed class PrivacyControlTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private KafkaFixture _kafka;
    private readonly RedisFixture _redis;
    private readonly ITestOutputHelper _output;

    public PrivacyControlTests(KafkaFixture kafka, RedisFixture redis, ITestOutputHelper output) : base(output: output)
    {
        (_kafka, _redis, _output) = (kafka, redis, output);
    }

    [Fact]
    public async Task A_commit_refused_during_a_rebalance_is_made_again_and_later_requests_are_still_carried_out()
    {
        _kafka = await _kafka.ForFaultsAsync(); // broker faults: on the embedded cluster, whatever the other tests run on
        var (requests, acks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"));
        await _kafka.CreateTopicAsync(requests, 1);
        await _kafka.CreateTopicAsync(acks, 1);
        // Stands for the user region: every consent is recorded.
        var users = Sys.ActorOf(Props.Create(() => new ConsentRecorder()));
        var store = Store("privacy-control");
        using var producer = Producer();
        var group = "privacy-" + requests;
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, group), acks, "clickstream",
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), "engine");

        // The first request's commit is refused (rebalance in progress), as on a real Kafka while the group rebalances.
        _kafka.FailNextRequests(KafkaApi.OffsetCommit, ErrorCode.RebalanceInProgress);
        await using var control = new PrivacyControl(settings, users, store, producer, Sys.Log);
        await SendAsync(producer, requests, "consent-1");
        await SendAsync(producer, requests, "consent-2");

        var acknowledged = ReadAcks(acks, until: ids => ids.Count >= 2, TimeSpan.FromSeconds(60));
        ExpectNoAcks(acks, after: 2);
        AwaitCondition(() => Committed(requests, group) == 2, TimeSpan.FromSeconds(10), "both requests committed");
        Assert.Equal(2, control.Acknowledged); // carried out once each: the refused commit was made again, nothing redone
        _output.WriteLine($"injected: 1 refused commit; acknowledged, in order: {string.Join(", ", acknowledged)}; committed up to {Committed(requests, group)}");
        // The refused commit is made again on the next turn, and the request after it is carried out too: before 2026-12-06
        // the refusal ended the consumer and its requests were carried out again by the next (and before that, the first
        // Kafka error stopped the node's privacy requests for good).
        Assert.Equal(["consent-1", "consent-2"], acknowledged.Order()); // two users' requests: carried out side by side, in either order
    }

    /// <summary>
    /// The node's producer replaced after a fatal error (<see cref="RenewingProducer"/>) takes nothing of the control's with
    /// it: before 2026-12-07 the control asked Kafka's metadata on an admin client over the first producer's handle, which
    /// died with it, and every erasure and consent after the replacement was retried for ever while the node looked ready.
    /// </summary>
    [Fact]
    public async Task Requests_are_still_carried_out_after_the_nodes_producer_was_replaced_for_a_fatal_error()
    {
        _kafka = await _kafka.ForFaultsAsync(); // a fatal produce error: on the embedded cluster, whatever the other tests run on
        var (requests, acks, scratch) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("scratch"));
        foreach (var topic in new[] { requests, acks, scratch }) await _kafka.CreateTopicAsync(topic, 1);
        using var renewing = new RenewingProducer(new ProducerConfig
            { BootstrapServers = _kafka.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, MessageTimeoutMs = 10_000 });
        await renewing.ProduceAsync(scratch, new Message<byte[], byte[]> { Value = "before"u8.ToArray() });
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, "privacy-" + requests), acks, "clickstream",
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), "engine");
        await using var control = new PrivacyControl(settings, Sys.ActorOf(Props.Create(() => new ConsentRecorder())), Store("privacy-renewed"), renewing, Sys.Log);

        _kafka.FailNextRequests(KafkaApi.Produce, ErrorCode.OutOfOrderSequenceNumber); // fatal for an idempotent producer
        var refused = await Assert.ThrowsAnyAsync<KafkaException>(() => renewing.ProduceAsync(scratch, new Message<byte[], byte[]> { Value = "refused"u8.ToArray() }));
        await renewing.ProduceAsync(scratch, new Message<byte[], byte[]> { Value = "after"u8.ToArray() });
        await Task.Delay(TimeSpan.FromSeconds(3)); // the failed producer, with nothing left to flush, is closed meanwhile
        using var sender = Producer();
        await SendAsync(sender, requests, "consent-after");

        var acknowledged = ReadAcks(acks, until: ids => ids.Count >= 1, TimeSpan.FromSeconds(30));
        _output.WriteLine($"injected: one produce answered {refused.Error.Code} (fatal); renewals: {renewing.Renewals}; " +
                          $"then one consent request; acknowledged: [{string.Join(", ", acknowledged)}]");
        Assert.Equal(1, renewing.Renewals);
        Assert.Equal(["consent-after"], acknowledged);
    }

    /// <summary>
    /// An erasure that cannot finish yet (the user pipeline has not committed the user's partition) holds up neither the
    /// requests of other users behind it nor the requests' commits before it, and nothing past it is committed: a restart
    /// redoes it. Before 2026-12-06 the requests were carried out one at a time, and one waiting erasure held up every
    /// privacy request of the node, consent changes included, for as long as it waited.
    /// </summary>
    [Fact]
    public async Task An_erasure_that_waits_for_the_user_pipeline_holds_up_neither_other_users_requests_nor_is_committed_past()
    {
        var (requests, acks, clicks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("clicks"));
        foreach (var topic in new[] { requests, acks, clicks }) await _kafka.CreateTopicAsync(topic, 1);
        using var producer = Producer();
        await producer.ProduceAsync(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
        // The user pipeline's group has committed nothing: the erasure of u-1 waits for it.
        var users = Sys.ActorOf(Props.Create(() => new ErasesAndRecordsConsent()));
        var store = Store("privacy-waits");
        var group = "privacy-" + requests;
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, group), acks, clicks,
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), "engine-" + clicks);
        var control = new PrivacyControl(settings, users, store, producer, Sys.Log);
        await SendAsync(producer, requests, "consent-0");
        // The erasure, sent again and again by an impatient sender: the copies wait behind the first, one user's, and take no
        // other user's place (they counted as 20 requests in flight and paused the consumer).
        for (var i = 1; i <= 20; i++)
        {
            var erase = new PrivacyRequest { Type = PrivacyRequestTypes.Erase, RequestId = $"erase-{i}", UserId = "u-1" };
            await producer.ProduceAsync(requests, new Message<byte[], byte[]>
            {
                Key = "u-1"u8.ToArray(), Value = JsonSerializer.SerializeToUtf8Bytes(erase, EngineJson.Default.PrivacyRequest),
                Timestamp = i == 1 ? new Timestamp(1, TimestampType.CreateTime) : Timestamp.Default, // a producer's clock gone wrong
            });
        }
        await SendAsync(producer, requests, "consent-2");

        var acknowledged = ReadAcks(acks, until: ids => ids.Count >= 2, TimeSpan.FromSeconds(20));
        // The control counts a request's end on its next turn after the ack: wait for it before reading what it reports.
        AwaitCondition(() => Committed(requests, group) == 1 && control.Waiting == 20, TimeSpan.FromSeconds(10));
        var committed = Committed(requests, group);
        _output.WriteLine($"erasure of u-1 waiting for the user pipeline; acknowledged: {string.Join(", ", acknowledged)}; privacy requests committed up to {committed}");
        Assert.Equal(["consent-0", "consent-2"], acknowledged.Order());
        Assert.Equal(1, committed); // past consent-0, not past the erasure still waiting (offset 1)
        Assert.Equal(20, control.Waiting); // the erasure and its 19 copies, for the operator's gauge
        Assert.InRange(control.OldestWaiting, TimeSpan.FromTicks(1), TimeSpan.FromMinutes(1)); // from when it arrived, not from 1970
        // Stopping gives the erasure up: the commit still does not pass it, so the next reader carries it out.
        await control.DisposeAsync();
        Assert.Equal(1, Committed(requests, group));
    }

    /// <summary>Nothing acknowledged beyond the first <paramref name="after"/> acks within a second (no request carried out twice).</summary>
    private void ExpectNoAcks(string topic, int after) =>
        Assert.Equal(after, ReadAcks(topic, until: ids => ids.Count > after, TimeSpan.FromSeconds(1)).Count);

    private long Committed(string topic, string group)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = group }).Build();
        return consumer.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10))[0].Offset.Value;
    }

    /// <summary>Erases as <see cref="ErasesAndRecordsConsent"/> does, and says when the first erasure pass came.</summary>
    private sealed class SignalsFirstErase : ReceiveActor
    {
        public SignalsFirstErase(TaskCompletionSource firstPass) => Receive<EraseUser>(e =>
        {
            Sender.Tell(new UserErased(e.UserId, e.RequestId, ["features"]));
            firstPass.TrySetResult();
        });
    }

    private sealed class ErasesAndRecordsConsent : ReceiveActor
    {
        public ErasesAndRecordsConsent()
        {
            Receive<RecordConsent>(r => Sender.Tell(new ConsentRecorded(r.UserId, r.RequestId)));
            Receive<EraseUser>(e => Sender.Tell(new UserErased(e.UserId, e.RequestId, ["features"])));
        }
    }

    /// <summary>
    /// A request that cannot be acted on (not JSON, an unknown type, no user id) goes to the dead-letter topic with its reason
    /// and is not acknowledged; the requests after it are carried out. Before, it was only logged and committed: whoever
    /// sent it never learnt why no acknowledgement came.
    /// </summary>
    [Fact]
    public async Task A_request_that_cannot_be_acted_on_is_dead_lettered_with_its_reason_and_later_requests_are_carried_out()
    {
        var (requests, acks, dead) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("dead"));
        foreach (var topic in new[] { requests, acks, dead }) await _kafka.CreateTopicAsync(topic, 1);
        var users = Sys.ActorOf(Props.Create(() => new ConsentRecorder()));
        var store = Store("privacy-refused");
        using var producer = Producer();
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, "privacy-" + requests), acks, "clickstream",
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), "engine", dead);
        await using var control = new PrivacyControl(settings, users, store, producer, Sys.Log);
        var refused = new[]
        {
            "not json",
            """{"type":"forget","request_id":"r-1","user_id":"u-1"}""",
            """{"type":"erase","request_id":"r-2","user_id":" "}""",
        };
        foreach (var value in refused)
            await producer.ProduceAsync(requests, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = Encoding.UTF8.GetBytes(value) });
        await SendAsync(producer, requests, "consent-1");

        Assert.Equal(["consent-1"], ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(30)));
        // Refused requests are carried out side by side: their letters may come in any order.
        var letters = ReadDeadLetters(dead, refused.Length, TimeSpan.FromSeconds(10)).OrderBy(l => l.Offset).ToList();
        foreach (var letter in letters) _output.WriteLine($"dead-lettered offset {letter.Offset}: {letter.Reason}");
        Assert.Equal(refused, letters.Select(l => Encoding.UTF8.GetString(Convert.FromBase64String(l.PayloadBase64))));
        Assert.All(letters, l => Assert.Equal((requests, "u-1"), (l.SourceTopic, l.Key)));
        Assert.Equal([0L, 1L, 2L], letters.Select(l => l.Offset));
        Assert.StartsWith("privacy request refused: malformed", letters[0].Reason);
        Assert.Contains("unknown type", letters[1].Reason);
        Assert.Contains("user_id and request_id are required", letters[2].Reason);
        AwaitAssert(() => Assert.Equal((3, 1), (control.DeadLettered, control.Acknowledged)), TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// A request not keyed by its user id, or on another partition than murmur2 of that id gives, is dead-lettered as
    /// misrouted: one user's requests keep their order only within one partition, and a consent sent through another
    /// partitioner could be applied on another node after that user's erasure (before 2026-12-07 it was carried out).
    /// </summary>
    [Fact]
    public async Task A_request_off_its_users_partition_or_keyed_by_another_value_is_dead_lettered_as_misrouted()
    {
        var (requests, acks, dead) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("dead"));
        await _kafka.CreateTopicAsync(requests, 2);
        foreach (var topic in new[] { acks, dead }) await _kafka.CreateTopicAsync(topic, 1);
        var users = Sys.ActorOf(Props.Create(() => new ConsentRecorder()));
        using var producer = Producer();
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, "privacy-" + requests), acks, "clickstream",
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), "engine", dead);
        await using var control = new PrivacyControl(settings, users, Store("privacy-misrouted"), producer, Sys.Log);
        byte[] Consent(string requestId, string user) => JsonSerializer.SerializeToUtf8Bytes(new PrivacyRequest
        {
            Type = PrivacyRequestTypes.Consent, RequestId = requestId, UserId = user, Personalisation = false, AdTargeting = false,
        }, EngineJson.Default.PrivacyRequest);
        var home = Engine.Models.Routing.KafkaPartitioner.Partition("u-1", 2);
        Task Send(int partition, string key, string requestId) => producer.ProduceAsync(new TopicPartition(requests, partition),
            new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = Consent(requestId, "u-1") });

        await Send(1 - home, "u-1", "off-partition");
        await Send(home, "someone-else", "wrong-key");
        await Send(home, "u-1", "routed");

        Assert.Equal(["routed"], ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(30)));
        var letters = ReadDeadLetters(dead, 2, TimeSpan.FromSeconds(10));
        foreach (var letter in letters) _output.WriteLine($"dead-lettered partition {letter.Partition}: {letter.Reason}");
        Assert.Contains(letters, l => l.Reason.Contains($"belongs to partition {home} of 2", StringComparison.Ordinal));
        Assert.Contains(letters, l => l.Reason.Contains("must be keyed by its user_id", StringComparison.Ordinal));
        AwaitAssert(() => Assert.Equal((2, 1), (control.DeadLettered, control.Acknowledged)), TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// A refused request whose dead letter Kafka refuses for good (here the brokers refuse the dead-letter topic, as an ACL
    /// would) is skipped after the patience allowed (3 s here, 5 minutes by default), with an error in the log: retried for ever, it held its
    /// partition's commit, and every request after it was carried out again at each restart.
    /// </summary>
    [Fact]
    public async Task A_refused_request_whose_dead_letter_kafka_keeps_refusing_is_skipped_after_a_while_and_committed_past()
    {
        _kafka = await _kafka.ForFaultsAsync(); // broker faults: on the embedded cluster, whatever the other tests run on
        var (requests, acks, dead) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("dead"));
        foreach (var topic in new[] { requests, acks, dead }) await _kafka.CreateTopicAsync(topic, 1);
        _kafka.SetTopicError(dead, ErrorCode.TopicAuthorizationFailed);
        var users = Sys.ActorOf(Props.Create(() => new ConsentRecorder()));
        var store = Store("privacy-undeliverable");
        using var producer = Producer();
        var group = "privacy-" + requests;
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, group), acks, "clickstream",
            TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), "engine", dead, DeadLetterPatience: TimeSpan.FromSeconds(3));
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Akka.Event.Error));
        await using var control = new PrivacyControl(settings, users, store, producer, Sys.Log);
        await producer.ProduceAsync(requests, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "not json"u8.ToArray() });
        await SendAsync(producer, requests, "consent-1");

        Assert.Equal(["consent-1"], ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(30)));
        var skipped = errors.ExpectMsg<Akka.Event.Error>(TimeSpan.FromSeconds(30));
        AwaitCondition(() => Committed(requests, group) == 2, TimeSpan.FromSeconds(10), "committed past both");
        _output.WriteLine(skipped.Message.ToString());
        Assert.Contains("Kafka refused its dead letter for 00:00:03; skipped", skipped.Message.ToString());
        AwaitAssert(() => Assert.Equal((1, 0), (control.Skipped, control.DeadLettered)), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("not json", skipped.Message.ToString());
    }

    private List<DeadLetter> ReadDeadLetters(string topic, int count, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            { BootstrapServers = _kafka.BootstrapServers, GroupId = "dead-" + topic, AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var letters = new List<DeadLetter>();
        var deadline = DateTime.UtcNow + timeout;
        while (letters.Count < count && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200))?.Message is { } message)
                letters.Add(JsonSerializer.Deserialize(message.Value, EngineJson.Default.DeadLetter)!);
        return letters;
    }

    /// <summary>
    /// The user kept browsing while the erasure ran: each pass through the actor deletes the keys at once, but the flush of an
    /// event it answered before the pass may land after the delete, with features built from what it held before. So after
    /// each pass whose actor had answered an event, the erasure waits until that event is committed (its flush landed) and
    /// passes again, until a pass finds nothing answered. Before, it made two passes and acknowledged, and such a flush
    /// brought the erased data back.
    /// </summary>
    [Fact]
    public async Task An_erasure_passes_again_until_the_flushes_of_events_answered_meanwhile_have_landed()
    {
        var (requests, acks, clicks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("clicks"));
        foreach (var topic in new[] { requests, acks, clicks }) await _kafka.CreateTopicAsync(topic, 1);
        using var producer = Producer();
        for (var i = 0; i < 3; i++) await producer.ProduceAsync(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
        var group = "engine-" + clicks;
        Commit(clicks, group, 3); // the user pipeline has committed every event sent before the request
        // Stands for the user region: the actor of the 2nd pass had answered the event at offset 4, which the user sent
        // after the request (produced during the first pass, after the erasure noted the partition's end).
        var passes = new List<EventPosition?> { new EventPosition(0, 1), new EventPosition(0, 4), null };
        Action browseOn = () =>
        {
            for (var i = 0; i < 2; i++) producer.Produce(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
            producer.Flush(TimeSpan.FromSeconds(10));
        };
        await using var control = await EraseAsync(Props.Create(() => new Eraser(passes, browseOn)), producer, requests, acks, clicks, group);

        Assert.Empty(ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(8))); // waits for offset 4's flush
        Commit(clicks, group, 5);
        var acknowledged = ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(60));

        _output.WriteLine($"passes: {3 - passes.Count}; acknowledged: {string.Join(", ", acknowledged)}");
        Assert.Equal(["erase-1"], acknowledged);
        Assert.Empty(passes); // a third pass, which found nothing answered
    }

    /// <summary>
    /// The user's events came in a transaction (an exactly-once producer upstream): the partition ends with its commit
    /// marker, and the pipeline, which commits one past the last record it read, never commits up to the end. The erasure
    /// sees nothing left to read there and goes on; before, it waited, timed out and was retried for ever, holding up every
    /// later privacy request of the node.
    /// </summary>
    [Fact]
    public async Task An_erasure_is_not_held_up_by_a_transactions_commit_marker_at_the_end_of_the_partition()
    {
        var (requests, acks, clicks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("clicks"));
        foreach (var topic in new[] { requests, acks, clicks }) await _kafka.CreateTopicAsync(topic, 1);
        await ThreeEventsInATransactionAsync(clicks, commit: true);
        var group = "engine-" + clicks;
        Commit(clicks, group, 3); // one past the last record: the commit marker at offset 3 is never read
        using var producer = Producer();
        await using var control = await EraseAsync(Props.Create(() => new Eraser(new List<EventPosition?> { null, null }, null)), producer, requests, acks, clicks, group);

        Assert.Equal(["erase-1"], ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// The user pipeline has never committed the user's partition, which holds only a transaction aborted upstream: reading
    /// from the log's start (auto.offset.reset earliest), committed transactions only, the pipeline has nothing there to
    /// read, so it never commits. The erasure looks from the log's start and goes on; before 2026-12-07 it looked only past
    /// a commit, waited for one that never came and was retried for ever (also a new group id on a partition emptied by
    /// retention). The embedded mock broker hands aborted records to a read-committed reader (it keeps no aborted
    /// transactions list), so there the pipeline would read and commit them, and the erasure rightly waits until it has.
    /// </summary>
    [Fact]
    public async Task An_erasure_is_not_held_up_by_a_partition_the_pipeline_never_committed_with_nothing_there_to_read()
    {
        var (requests, acks, clicks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("clicks"));
        foreach (var topic in new[] { requests, acks, clicks }) await _kafka.CreateTopicAsync(topic, 1);
        await ThreeEventsInATransactionAsync(clicks, commit: false);
        var group = "engine-" + clicks;
        using var producer = Producer();
        await using var control = await EraseAsync(Props.Create(() => new Eraser(new List<EventPosition?> { null, null }, null)), producer, requests, acks, clicks,
            group, commitWait: TimeSpan.FromSeconds(10));

        if (_kafka.Kind == KafkaKind.Embedded)
        {
            Assert.Empty(ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(3))); // the aborted records are readable here
            Commit(clicks, group, 3); // what the pipeline commits once it has read them
        }
        var acknowledged = ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(20));
        _output.WriteLine($"{_kafka.Describe()}; the user's partition: 3 aborted records and their marker, no commit by the pipeline's group" +
                          $"{(_kafka.Kind == KafkaKind.Embedded ? " (then 3, as the pipeline reads them here)" : "")}; acknowledged: [{string.Join(", ", acknowledged)}]");
        Assert.Equal(["erase-1"], acknowledged);
    }

    /// <summary>
    /// The user's earlier events are in a transaction still open upstream when the erasure comes: reading committed
    /// transactions only, the pipeline cannot have applied them yet, so the erasure waits until it has. Before 2026-12-06
    /// the end of what could be read (on a Kafka broker, the open transaction's first offset) counted as nothing left to
    /// read: the erasure was acknowledged at once, and the transaction's events, applied once it committed, brought the
    /// user's data back. (The embedded mock broker reports no last stable offset, so there this checks the wait itself;
    /// the transaction's own case needs a real broker, Testcontainers where Docker answers.)
    /// </summary>
    [Fact]
    public async Task An_erasure_waits_for_a_transaction_still_open_with_the_users_earlier_events()
    {
        var (requests, acks, clicks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("clicks"));
        foreach (var topic in new[] { requests, acks, clicks }) await _kafka.CreateTopicAsync(topic, 1);
        using var producer = Producer();
        await producer.ProduceAsync(clicks, new Message<byte[], byte[]> { Key = "u-2"u8.ToArray(), Value = "{}"u8.ToArray() });
        var group = "engine-" + clicks;
        Commit(clicks, group, 1);
        using var transactional = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
            { BootstrapServers = _kafka.BootstrapServers, TransactionalId = "clicks-" + Guid.NewGuid().ToString("N") }).Build();
        transactional.InitTransactions(TimeSpan.FromSeconds(30));
        transactional.BeginTransaction();
        for (var i = 0; i < 3; i++) await transactional.ProduceAsync(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
        await using var control = await EraseAsync(Props.Create(() => new Eraser(new List<EventPosition?> { null, null }, null)), producer, requests, acks, clicks, group);

        Assert.Empty(ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(8))); // the transaction is open: not yet
        transactional.CommitTransaction(TimeSpan.FromSeconds(30));
        Assert.Empty(ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(3))); // committed, not yet applied
        Commit(clicks, group, 4); // the pipeline applied the transaction's events
        Assert.Equal(["erase-1"], ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// What a read-committed look past the pipeline's commit decides: an end of what can be read short of the noted end is a
    /// transaction still open on a broker (its last stable offset), not nothing left to read (before 2026-12-06 any end was).
    /// </summary>
    [Fact]
    public void Only_a_record_or_an_end_at_or_past_the_requests_end_means_nothing_is_left_to_read()
    {
        static ConsumeResult<Ignore, Ignore> At(long offset, bool end) =>
            new() { TopicPartitionOffset = new TopicPartitionOffset("clicks", 0, offset), IsPartitionEOF = end };
        Assert.False(PrivacyControl.FirstReadIsPast(At(1, end: true), 4)); // an open transaction from offset 1
        Assert.True(PrivacyControl.FirstReadIsPast(At(4, end: true), 4)); // a commit marker, or aborted records, end it
        Assert.Equal(Offset.Beginning.Value, PrivacyControl.PipelineReadsFrom(Offset.Unset.Value)); // no commit: from the log's start
        Assert.Equal(3, PrivacyControl.PipelineReadsFrom(3));
        Assert.True(PrivacyControl.FirstReadIsPast(At(5, end: false), 4));
        Assert.False(PrivacyControl.FirstReadIsPast(At(2, end: false), 4));
        Assert.False(PrivacyControl.FirstReadIsPast(null, 4));
    }

    /// <summary>
    /// The first pass's actor had already answered an event the user sent after the request (past the partition's end then):
    /// its flush, from the state before the erasure, must land before the erasure ends. Before 2026-12-06 the first pass's
    /// answer was not looked at: the second pass found a fresh actor, and the erasure was acknowledged at once.
    /// </summary>
    [Fact]
    public async Task An_erasure_waits_for_the_flush_of_an_event_the_first_pass_had_answered_past_the_request()
    {
        var (requests, acks, clicks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("clicks"));
        foreach (var topic in new[] { requests, acks, clicks }) await _kafka.CreateTopicAsync(topic, 1);
        using var producer = Producer();
        for (var i = 0; i < 3; i++) await producer.ProduceAsync(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
        var group = "engine-" + clicks;
        Commit(clicks, group, 3);
        // The first pass's actor had answered offset 3, sent after the request (produced during that pass, past its end).
        var passes = new List<EventPosition?> { new EventPosition(0, 3), null, null };
        Action browseOn = () =>
        {
            for (var i = 0; i < 2; i++) producer.Produce(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
            producer.Flush(TimeSpan.FromSeconds(10));
        };
        await using var control = await EraseAsync(Props.Create(() => new Eraser(passes, browseOn)), producer, requests, acks, clicks, group);

        Assert.Empty(ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(8))); // waits for offset 3's flush
        Commit(clicks, group, 4);
        Assert.Equal(["erase-1"], ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// The user pipeline stays behind a partition the user goes on writing to: the erasure's first wait for its commit times
    /// out, and the retry waits for the end the first try noted, which the pipeline then passes. Before, each retry noted the
    /// partition's end again, and while the pipeline stayed more than the wait behind, the erasure never finished.
    /// </summary>
    [Fact]
    public async Task A_retried_erasure_waits_for_the_end_its_first_try_noted_not_the_partitions_end_since()
    {
        var (requests, acks, clicks) = (KafkaFixture.UniqueTopic("privacy"), KafkaFixture.UniqueTopic("privacy-acks"), KafkaFixture.UniqueTopic("clicks"));
        foreach (var topic in new[] { requests, acks, clicks }) await _kafka.CreateTopicAsync(topic, 1);
        using var producer = Producer();
        await producer.ProduceAsync(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
        var group = "engine-" + clicks;
        var firstPass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var control = await EraseAsync(Props.Create(() => new SignalsFirstErase(firstPass)), producer, requests, acks, clicks, group,
            commitWait: TimeSpan.FromSeconds(2));
        // The first try noted its end (1) before its first pass: only then does the user browse on.
        await firstPass.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var browsing = new CancellationTokenSource();
        var browse = Task.Run(async () =>
        {
            while (!browsing.IsCancellationRequested)
            {
                producer.Produce(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
                await Task.Delay(300);
            }
        });

        Assert.Empty(ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(2.5))); // the first wait timed out
        Commit(clicks, group, 1); // past the request's end, never the partition's end since
        var acknowledged = ReadAcks(acks, until: ids => ids.Count > 0, TimeSpan.FromSeconds(20));
        await browsing.CancelAsync();
        await browse;
        Assert.Equal(["erase-1"], acknowledged);
    }

    /// <summary>Three events of u-1 on <paramref name="clicks"/> in one transaction, committed or aborted (offsets 0-2, its marker at 3).</summary>
    private async Task ThreeEventsInATransactionAsync(string clicks, bool commit)
    {
        using var transactional = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
            { BootstrapServers = _kafka.BootstrapServers, TransactionalId = "clicks-" + Guid.NewGuid().ToString("N") }).Build();
        transactional.InitTransactions(TimeSpan.FromSeconds(30));
        transactional.BeginTransaction();
        for (var i = 0; i < 3; i++) await transactional.ProduceAsync(clicks, new Message<byte[], byte[]> { Key = "u-1"u8.ToArray(), Value = "{}"u8.ToArray() });
        if (commit) transactional.CommitTransaction(TimeSpan.FromSeconds(30));
        else transactional.AbortTransaction(TimeSpan.FromSeconds(30));
    }

    /// <summary>A privacy control over <paramref name="clicks"/> whose user region is <paramref name="users"/>, and request erase-1 of u-1 sent to it.</summary>
    private async Task<PrivacyControl> EraseAsync(Props users, IProducer<byte[], byte[]> producer, string requests, string acks, string clicks, string group,
        TimeSpan? commitWait = null)
    {
        var store = Store("privacy-erase");
        var settings = new PrivacyControlSettings(KafkaTestData.Consumer(_kafka, requests, "privacy-" + requests), acks, clicks,
            TimeSpan.FromSeconds(10), commitWait ?? TimeSpan.FromSeconds(60), group);
        var control = new PrivacyControl(settings, Sys.ActorOf(users), store, producer, Sys.Log);
        var request = new PrivacyRequest { Type = PrivacyRequestTypes.Erase, RequestId = "erase-1", UserId = "u-1" };
        await producer.ProduceAsync(requests, new Message<byte[], byte[]>
            { Key = "u-1"u8.ToArray(), Value = JsonSerializer.SerializeToUtf8Bytes(request, EngineJson.Default.PrivacyRequest) });
        return control;
    }

    /// <summary>Consent and erasure keys in Garnet under a prefix of their own, for one partition.</summary>
    private PrivacyStore Store(string name)
    {
        var connection = _redis.Connect(RedisKind.Garnet);
        var prefix = RedisFixture.UniquePrefix(name);
        return new PrivacyStore(connection, new FeatureKeys(prefix), new ChurnDueList(connection, prefix + "churn:"), partitions: 1);
    }

    private IProducer<byte[], byte[]> Producer() => new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();

    private void Commit(string topic, string group, long next)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = group }).Build();
        consumer.Commit([new TopicPartitionOffset(topic, 0, next)]);
    }

    private sealed class Eraser : ReceiveActor
    {
        public Eraser(List<EventPosition?> passes, Action? duringFirstPass = null) => Receive<EraseUser>(e =>
        {
            if (passes.Count == 3) duringFirstPass?.Invoke();
            var answered = passes[0];
            passes.RemoveAt(0);
            Sender.Tell(new UserErased(e.UserId, e.RequestId, ["features"], answered));
        });
    }

    private static async Task SendAsync(IProducer<byte[], byte[]> producer, string topic, string requestId)
    {
        var request = new PrivacyRequest { Type = PrivacyRequestTypes.Consent, RequestId = requestId, UserId = "u-" + requestId, Personalisation = false, AdTargeting = true };
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
