using System.Diagnostics;
using Engine.FaultTests.Harness;
using Engine.Host.Embedded;
using Xunit.Abstractions;

namespace Engine.FaultTests;

/// <summary>The broker goes away for 10 seconds mid-stream and comes back: nothing is lost and the engine catches up.</summary>
public sealed class BrokerOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Broker_down_for_ten_seconds_loses_nothing_and_the_engine_catches_up()
    {
        var total = FaultScale.StreamEvents;
        var bound = TimeSpan.FromSeconds(90 + total / 500.0);
        using var garnet = new EmbeddedGarnet();
        await using var run = await FaultRun.StartAsync(garnet.Endpoint, output);
        output.WriteLine($"stream: {total:N0} valid events (ENGINE_FAULT_STREAM_EVENTS), bound {bound.TotalSeconds:N0} s");
        using var stop = new CancellationTokenSource(bound);
        var producing = run.ProduceAsync(StreamProducer.Valid(run.Events, 0, total), 5_000, stop.Token);

        await run.UntilAsync(() => run.Committed.Total >= total / 3, bound, () => $"a third consumed (now {run.Committed.Total:N0})", producing);
        var broker = run.Kafka.BrokerIds[0];
        run.Kafka.SetBrokerDown(broker);
        var down = (Committed: run.Committed.Total, Produced: run.Producer.Acknowledged, Decisions: run.Decisions.Records);
        // What the engine itself committed (its consumer's count, not read through the broker): a commit already on its way may
        // still land in the first moment, so counted from one second in.
        await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
        var engineCommitsDown = run.Node.UserStream.Metrics.CommittedOffsets;
        await Task.Delay(TimeSpan.FromSeconds(9), stop.Token);
        var during = (Committed: run.Committed.Total, Produced: run.Producer.Acknowledged, Decisions: run.Decisions.Records);
        var engineCommitsDuring = run.Node.UserStream.Metrics.CommittedOffsets;
        run.Kafka.SetBrokerUp(broker);
        output.WriteLine($"injected: broker {broker} down for 10 s at {down.Committed:N0} committed, {down.Produced:N0} produced; while down the engine committed " +
                         $"{engineCommitsDuring - engineCommitsDown:N0} offsets by its own count (from 1 s in), and through the broker {during.Committed - down.Committed:N0} " +
                         $"more were read as committed, {during.Produced - down.Produced:N0} input records acknowledged and {during.Decisions - down.Decisions:N0} decision records read");
        // The fault reached the engine: it had events to commit when the broker went, and its consumer committed none while it was away.
        Assert.True(down.Produced > down.Committed, $"no uncommitted event when the broker went down ({down.Produced:N0} produced, {down.Committed:N0} committed)");
        Assert.True(engineCommitsDuring <= engineCommitsDown, $"the engine committed {engineCommitsDuring - engineCommitsDown:N0} offsets with its broker down");

        var back = Stopwatch.StartNew();
        await run.WaitCommittedAsync(total, bound, producing);
        output.WriteLine($"caught up: all {total:N0} committed {back.Elapsed.TotalSeconds:N0} s after the broker came back");
        await run.AssertNothingLostAsync();
    }
}
