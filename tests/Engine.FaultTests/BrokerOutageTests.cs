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
        await Task.Delay(TimeSpan.FromSeconds(10), stop.Token);
        var during = (Committed: run.Committed.Total, Produced: run.Producer.Acknowledged, Decisions: run.Decisions.Records);
        run.Kafka.SetBrokerUp(broker);
        output.WriteLine($"injected: broker {broker} down for 10 s at {down.Committed:N0} committed; while down the engine committed {during.Committed - down.Committed:N0} more, " +
                         $"{during.Produced - down.Produced:N0} input records were acknowledged and {during.Decisions - down.Decisions:N0} decision records read");

        var back = Stopwatch.StartNew();
        await run.WaitCommittedAsync(total, bound, producing);
        output.WriteLine($"caught up: all {total:N0} committed {back.Elapsed.TotalSeconds:N0} s after the broker came back");
        await run.AssertNothingLostAsync();
    }
}
