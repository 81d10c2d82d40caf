using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Engine.Actors.Kafka;
using Engine.Host.Embedded;
using Engine.Testing.Kafka;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaRestartTests : Akka.TestKit.Xunit2.TestKit, IClassFixture<KafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly KafkaFixture _kafka;
    private readonly ITestOutputHelper _output;

    public KafkaRestartTests(KafkaFixture kafka, ITestOutputHelper output) : base(output: output)
    {
        _kafka = kafka;
        _output = output;
    }

    [Fact]
    public async Task Restarted_consumer_neither_loses_nor_skips_and_redelivers_only_the_uncommitted_tail()
    {
        var topic = KafkaFixture.UniqueTopic("restart");
        var group = "restart-" + topic;
        const int partitions = 3, initially = 6_000, count = 10_000;
        await _kafka.CreateTopicAsync(topic, partitions);
        await KafkaTestData.ProduceAsync(_kafka, topic, 0, initially);
        var settings = KafkaTestData.Consumer(_kafka, topic, group);
        var materializer = Sys.Materializer();

        // A: stopped gracefully mid-stream; everything it processed is committed.
        var a = new ConsumerRun(materializer, settings, new CommitterSettings(), signalAt: 2_000);
        await a.Reached.WaitAsync(Timeout);
        await a.Control.DrainAndShutdownAsync(a.Done).WaitAsync(Timeout);
        var afterA = KafkaTestData.Committed(_kafka, topic, group, partitions);
        foreach (var (partition, last) in a.LastOffsets) Assert.Equal(last + 1, afterA[partition]);
        // A keeps reading until its stop takes effect (under load, well past 2,000): give B enough to crash mid-stream.
        await KafkaTestData.ProduceAsync(_kafka, topic, initially, count);
        var forB = count - a.Seen.Count;

        // B: commits every 500 offsets, then crashes (kill switch, no drain): its uncommitted tail is not committed.
        var b = new ConsumerRun(materializer, settings with { DrainTimeout = TimeSpan.Zero },
            new CommitterSettings(MaxBatch: 500, MaxInterval: TimeSpan.FromSeconds(30)), signalAt: forB / 2);
        await WithDiagnostics(b, "B", b.Reached.WaitAsync(Timeout));
        b.KillSwitch.Abort(new InvalidOperationException("simulated crash"));
        await b.Control.Shutdown.WaitAsync(Timeout);
        var afterB = KafkaTestData.Committed(_kafka, topic, group, partitions);

        // C: reads the rest.
        var c = new ConsumerRun(materializer, settings, new CommitterSettings());
        await WaitUntil(() => a.Seen.Concat(b.Seen).Concat(c.Seen).Select(KafkaTestData.Id).Distinct().Count() == count);
        await c.Control.DrainAndShutdownAsync(c.Done).WaitAsync(Timeout);

        // Each restart starts exactly at the committed position: nothing skipped, nothing older re-read.
        foreach (var (partition, first) in b.FirstOffsets) Assert.Equal(Position(afterA, partition), first);
        foreach (var (partition, first) in c.FirstOffsets) Assert.Equal(Position(afterB, partition), first);
        Assert.Empty(a.Seen.Select(KafkaTestData.Id).Intersect(b.Seen.Select(KafkaTestData.Id)));
        // C re-reads exactly B's uncommitted tail.
        var redelivered = b.Seen.Select(KafkaTestData.Id).Intersect(c.Seen.Select(KafkaTestData.Id)).Count();
        var tail = b.LastOffsets.Sum(kv => kv.Value + 1 - Position(afterB, kv.Key));
        Assert.Equal(tail, redelivered);
        Assert.Equal(count, a.Seen.Concat(b.Seen).Concat(c.Seen).Select(KafkaTestData.Id).Distinct().Count());

        _output.WriteLine($"{_kafka.Describe()}; injected {count} on {partitions} partitions; A saw {a.Seen.Count} (graceful stop), " +
            $"B saw {b.Seen.Count} (crash), C saw {c.Seen.Count}; redelivered {redelivered} = B's uncommitted tail {tail}; lost 0");
        _output.WriteLine($"committed after A: {string.Join(", ", afterA)}; after B: {string.Join(", ", afterB)}");
    }

    [Fact]
    public async Task A_halted_consumer_commits_nothing_more_and_its_successor_rereads_all_it_had_not_committed()
    {
        var topic = KafkaFixture.UniqueTopic("halt");
        var group = "halt-" + topic;
        const int partitions = 2, count = 6_000;
        await _kafka.CreateTopicAsync(topic, partitions);
        await KafkaTestData.ProduceAsync(_kafka, topic, 0, count);
        var settings = KafkaTestData.Consumer(_kafka, topic, group);
        var materializer = Sys.Materializer();

        // Commits often, so commits are queued and under way when the halt comes (as in an engine node's crash); held at
        // the 1,500th message, so the halt comes with read messages not yet committed however late this test's thread is.
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = new ConsumerRun(materializer, settings, new CommitterSettings(MaxBatch: 50, MaxInterval: TimeSpan.FromMilliseconds(20)), signalAt: 1_500,
            holdAfterSignal: hold.Task);
        await a.Reached.WaitAsync(Timeout);
        await a.Control.HaltAsync().WaitAsync(Timeout);
        var atHalt = KafkaTestData.Committed(_kafka, topic, group, partitions);
        hold.SetResult();
        // Its stream ends (the committer's last commit is refused); with Stop instead of a halt it committed all it had read.
        await a.Done.ContinueWith(_ => { }).WaitAsync(Timeout);
        await Task.Delay(500);
        Assert.Equal(atHalt, KafkaTestData.Committed(_kafka, topic, group, partitions));
        // Like a dead process's, its consumer stays in the group (its stream's end no longer closes it) until shut down.
        Assert.False(a.Control.Shutdown.IsCompleted, "the halted consumer closed when its stream ended");
        var cutOff = a.LastOffsets.Sum(kv => kv.Value + 1 - Position(atHalt, kv.Key));
        Assert.True(cutOff > 0, "the halt came when all that was read was committed");
        // Its close waits for no commits and hands the partitions over; the successor starts where the halt left the commits.
        await a.Control.ShutdownAsync().WaitAsync(Timeout);
        var b = new ConsumerRun(materializer, settings, new CommitterSettings());
        await WaitUntil(() => a.Seen.Concat(b.Seen).Select(KafkaTestData.Id).Distinct().Count() == count);
        await b.Control.DrainAndShutdownAsync(b.Done).WaitAsync(Timeout);

        foreach (var (partition, first) in b.FirstOffsets) Assert.Equal(Position(atHalt, partition), first);
        Assert.Equal(cutOff, a.Seen.Select(KafkaTestData.Id).Intersect(b.Seen.Select(KafkaTestData.Id)).Count());
        _output.WriteLine($"{_kafka.Describe()}; A read {a.Seen.Count} and was halted with {cutOff} of them uncommitted " +
                          $"(committed {string.Join(", ", atHalt)}); B re-read exactly those and the rest");
    }

    /// <summary>
    /// Commits wait for the group's coordinator; the partitions' leaders do not. Before 2026-12-07 each commit ran on the poll
    /// thread and waited there, so while the coordinator's broker was away (a rolling restart) nothing was read from any
    /// partition (review). Commits now wait on a thread of their own, and reading goes on.
    /// </summary>
    [Fact]
    public async Task Reading_goes_on_while_the_groups_coordinator_is_away()
    {
        var kafka = await _kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("coordinator-away");
        var group = "coordinator-away-" + topic;
        await kafka.CreateTopicAsync(topic, 2);
        var (coordinator, leaders) = (kafka.BrokerIds[0], kafka.BrokerIds.Skip(1).ToArray());
        kafka.SetGroupCoordinator(group, coordinator);
        kafka.SetPartitionLeader(topic, 0, leaders[0]);
        kafka.SetPartitionLeader(topic, 1, leaders[^1]);
        using var producing = new CancellationTokenSource();
        var produced = 0;
        var producer = Task.Run(async () =>
        {
            for (; !producing.IsCancellationRequested; produced += 100)
            {
                await KafkaTestData.ProduceAsync(kafka, topic, produced, produced + 100);
                await Task.Delay(50);
            }
        });
        var run = new ConsumerRun(Sys.Materializer(), KafkaTestData.Consumer(kafka, topic, group),
            new CommitterSettings(MaxBatch: 50, MaxInterval: TimeSpan.FromMilliseconds(20)));
        await WaitUntil(() => run.Control.Metrics.CommittedOffsets > 0 && run.Seen.Count > 500);

        kafka.SetBrokerDown(coordinator);
        await Task.Delay(500); // the commits under way when it went down now wait for it
        var (before, producedBefore) = (run.Control.Metrics.Consumed, Volatile.Read(ref produced));
        await Task.Delay(2_500);
        var (during, producedDuring) = (run.Control.Metrics.Consumed - before, Volatile.Read(ref produced) - producedBefore);
        kafka.SetBrokerUp(coordinator);
        producing.Cancel();
        await producer;
        await WaitUntil(() => run.Seen.Select(KafkaTestData.Id).Distinct().Count() == produced);
        await run.Control.DrainAndShutdownAsync(run.Done).WaitAsync(Timeout);

        _output.WriteLine($"injected: the group's coordinator (broker {coordinator}) down for 3 s, the leaders ({string.Join(", ", leaders)}) up; " +
                          $"read meanwhile {during}, produced {producedDuring}; all {produced} read in the end");
        Assert.True(producedDuring >= 200, $"only {producedDuring} records were produced meanwhile");
        Assert.True(during >= producedDuring / 2, $"only {during} of {producedDuring} records were read while the coordinator was away");
    }

    /// <summary>
    /// A consumer that fails with a fatal error (a static member fenced by another with its group.instance.id) closes nothing,
    /// so no revocation runs: before 2026-12-07 its leases stayed unrevoked, and a partition writer retrying a flush through a
    /// Redis outage kept retrying after another node had taken the partition (review). They end with the consumer now.
    /// </summary>
    [Fact]
    public async Task A_consumer_that_fails_fatally_ends_the_leases_it_held()
    {
        var kafka = await _kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("fatal");
        var group = "fatal-" + topic;
        await kafka.CreateTopicAsync(topic, 2);
        await KafkaTestData.ProduceAsync(kafka, topic, 0, 200);
        var settings = KafkaTestData.Consumer(kafka, topic, group);
        settings = settings with { ClientConfig = new Dictionary<string, string>(settings.ClientConfig!) { ["group.instance.id"] = "static-" + topic } };
        var leases = new System.Collections.Concurrent.ConcurrentDictionary<int, PartitionLease>();
        var (control, done) = KafkaSource.CommittableSource(settings)
            .Select(message =>
            {
                leases.TryAdd(message.Record.Partition, message.Offset.Lease);
                return message.Offset;
            })
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both).Run(Sys.Materializer());
        await WaitUntil(() => leases.Count == 2);

        kafka.FailNextRequests(KafkaApi.Heartbeat, ErrorCode.FencedInstanceId); // one: the cluster is shared with the class's other tests
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => control.Shutdown.WaitAsync(Timeout));

        _output.WriteLine($"injected: heartbeats refused as FENCED_INSTANCE_ID; the consumer failed with {failure.GetType().Name}: {failure.Message}; " +
                          $"leases revoked: {string.Join(", ", leases.Select(l => $"{l.Key}={l.Value.Revoked}"))}");
        Assert.True(failure is KafkaException { Error.IsFatal: true }, $"not a fatal error: {failure}");
        Assert.All(leases.Values, lease => Assert.True(lease.Revoked));
        _ = done;
    }

    /// <summary>
    /// Kafka refuses the principal the consumer group (no READ ACL): the stream fails with the refusal, so its supervisor
    /// restarts it and /readyz shows it. Before 2026-12-07 the refusal was logged as a warning and retried for ever while
    /// the node looked ready and read nothing (a review).
    /// </summary>
    [Fact]
    public async Task A_consumer_group_kafka_refuses_fails_the_stream_with_the_refusal()
    {
        var kafka = await _kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("group-refused");
        var group = "group-refused-" + topic;
        await kafka.CreateTopicAsync(topic, 1);
        await KafkaTestData.ProduceAsync(kafka, topic, 0, 10);
        kafka.FailNextRequests(KafkaApi.JoinGroup, ErrorCode.GroupAuthorizationFailed, ErrorCode.GroupAuthorizationFailed); // few: the cluster is shared

        var settings = KafkaTestData.Consumer(kafka, topic, group) with { RefusalTolerance = TimeSpan.Zero }; // at the second refusal
        var (control, _) = KafkaSource.CommittableSource(settings)
            .Select(message => message.Offset)
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both).Run(Sys.Materializer());
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => control.Shutdown.WaitAsync(Timeout));

        _output.WriteLine($"injected: JoinGroup answered GROUP_AUTHORIZATION_FAILED; the stream failed with {failure.GetType().Name}: {failure.Message}");
        Assert.True(failure is KafkaException { Error.Code: ErrorCode.GroupAuthorizationFailed }, $"not the refusal: {failure}");
    }

    /// <summary>
    /// A refusal that passed at start-up (ACLs still spreading) and one more at a rejoin much later, on a topic with nothing to
    /// read: the join between them proved the group authorized, so the second starts the tolerance afresh. Before 2026-12-07
    /// only a record read reset it, and the second refusal failed the stream at once.
    /// </summary>
    [Fact]
    public async Task A_refusal_long_after_a_join_that_passed_one_is_tolerated_afresh()
    {
        var kafka = await _kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("refused-twice");
        var group = "refused-twice-" + topic;
        await kafka.CreateTopicAsync(topic, 1);
        kafka.FailNextRequests(KafkaApi.JoinGroup, ErrorCode.GroupAuthorizationFailed);

        var settings = KafkaTestData.Consumer(kafka, topic, group) with { RefusalTolerance = TimeSpan.FromSeconds(1) };
        var (control, _) = KafkaSource.CommittableSource(settings)
            .Select(message => message.Offset)
            .ToMaterialized(Committer.Sink(new CommitterSettings()), Keep.Both).Run(Sys.Materializer());
        for (var deadline = DateTime.UtcNow + Timeout; control.Metrics.Assignments == 0 && DateTime.UtcNow < deadline;) await Task.Delay(20);
        Assert.True(control.Metrics.Assignments > 0, "never assigned");
        await Task.Delay(1_500); // past the tolerance, counted from the first refusal

        // The member is told to rejoin, and its join is refused once more.
        kafka.FailNextRequests(KafkaApi.JoinGroup, ErrorCode.GroupAuthorizationFailed);
        kafka.FailNextRequests(KafkaApi.Heartbeat, ErrorCode.RebalanceInProgress);
        for (var deadline = DateTime.UtcNow + Timeout; control.Metrics.Assignments < 2 && !control.Shutdown.IsCompleted && DateTime.UtcNow < deadline;) await Task.Delay(20);

        _output.WriteLine($"injected: JoinGroup refused at start, then a rejoin refused once 1.5 s later; assignments {control.Metrics.Assignments}, " +
                          $"stream {(control.Shutdown.IsFaulted ? "failed: " + control.Shutdown.Exception!.GetBaseException().Message : "running")}");
        Assert.False(control.Shutdown.IsFaulted);
        Assert.True(control.Metrics.Assignments >= 2, "the rejoin never completed");
        await control.DrainAndShutdownAsync(Task.CompletedTask).WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_commit_refused_before_a_halt_is_not_retried_after_it()
    {
        var kafka = await _kafka.ForFaultsAsync(); // broker faults: on the embedded cluster, whatever the other tests run on
        var topic = KafkaFixture.UniqueTopic("halt-retry");
        var group = "halt-retry-" + topic;
        const int partitions = 2;
        await kafka.CreateTopicAsync(topic, partitions);
        await KafkaTestData.ProduceAsync(kafka, topic, 0, 4_000);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = new ConsumerRun(Sys.Materializer(), KafkaTestData.Consumer(kafka, topic, group),
            new CommitterSettings(MaxBatch: 50, MaxInterval: TimeSpan.FromMilliseconds(20)), signalAt: 500, holdAfterSignal: hold.Task);
        await a.Reached.WaitAsync(Timeout);

        // The next commit is refused twice (rebalance in progress): it waits 200 ms for each retry, and the halt comes meanwhile.
        // Held until then, the stream has a message left to commit whatever it had committed before.
        kafka.FailNextRequests(KafkaApi.OffsetCommit, ErrorCode.RebalanceInProgress, ErrorCode.RebalanceInProgress);
        hold.SetResult();
        for (var deadline = DateTime.UtcNow + Timeout; a.Control.Metrics.CommitRetries == 0 && DateTime.UtcNow < deadline;) await Task.Delay(5);
        await a.Control.HaltAsync().WaitAsync(Timeout);
        var atHalt = KafkaTestData.Committed(kafka, topic, group, partitions);
        await Task.Delay(1_000); // past both retries' due times
        var later = KafkaTestData.Committed(kafka, topic, group, partitions);
        _output.WriteLine($"injected: 2 refused commits; retries before the halt {a.Control.Metrics.CommitRetries}; " +
                          $"committed at the halt {string.Join(", ", atHalt)}, a second later {string.Join(", ", later)}");
        Assert.True(a.Control.Metrics.CommitRetries > 0, "no commit was refused");
        Assert.Equal(atHalt, later);
        await a.Control.ShutdownAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_commit_refused_with_a_stale_member_epoch_is_retried_not_failed()
    {
        var kafka = await _kafka.ForFaultsAsync();
        var topic = KafkaFixture.UniqueTopic("stale-epoch");
        var group = "stale-epoch-" + topic;
        const int partitions = 2, count = 2_000;
        await kafka.CreateTopicAsync(topic, partitions);
        await KafkaTestData.ProduceAsync(kafka, topic, 0, count);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = new ConsumerRun(Sys.Materializer(), KafkaTestData.Consumer(kafka, topic, group),
            new CommitterSettings(MaxBatch: 50, MaxInterval: TimeSpan.FromMilliseconds(20)), signalAt: 100, holdAfterSignal: hold.Task);
        await run.Reached.WaitAsync(Timeout);

        // KIP-848 consumers (group.protocol=consumer) get STALE_MEMBER_EPOCH on a commit that races an epoch bump, which
        // librdkafka does not retry for manual commits: before 2026-12-07 it failed the committer, so the whole pipeline.
        kafka.FailNextRequests(KafkaApi.OffsetCommit, StaleMemberEpoch);
        hold.SetResult();
        await WaitUntil(() => run.Seen.Select(KafkaTestData.Id).Distinct().Count() == count);
        await run.Control.DrainAndShutdownAsync(run.Done).WaitAsync(Timeout);

        var committed = KafkaTestData.Committed(kafka, topic, group, partitions);
        _output.WriteLine($"injected: 1 commit refused with STALE_MEMBER_EPOCH; retries {run.Control.Metrics.CommitRetries}; " +
                          $"committed {string.Join(", ", committed)} of {count} messages");
        Assert.True(run.Control.Metrics.CommitRetries > 0, "no commit was refused");
        Assert.Equal(count, committed.Values.Sum());
    }

    /// <summary>Kafka's STALE_MEMBER_EPOCH (113), which Confluent.Kafka's <see cref="ErrorCode"/> does not name.</summary>
    private const ErrorCode StaleMemberEpoch = (ErrorCode)113;

    /// <summary>A stall once seen under heavy load (B assigned, revoked, re-assigned, then silent): say what B saw and did.</summary>
    private async Task WithDiagnostics(ConsumerRun run, string name, Task wait)
    {
        try
        {
            await wait;
        }
        catch (TimeoutException)
        {
            _output.WriteLine($"{name} timed out having seen {run.Seen.Count} messages; consumer metrics: {run.Control.Metrics}");
            throw;
        }
    }

    /// <summary>Where a consumer of the group starts: the committed offset, or the beginning when none is committed.</summary>
    private static long Position(Dictionary<int, long> committed, int partition) => Math.Max(committed[partition], 0);

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
