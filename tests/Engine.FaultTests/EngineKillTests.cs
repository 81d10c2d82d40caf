using Engine.FaultTests.Harness;
using Engine.Host.Embedded;
using Engine.Models.Contracts;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Engine.FaultTests;

/// <summary>
/// SIGKILL in the middle of the stream: the engine runs as a child process on Kafka and Redis hosted here (they
/// outlive it), is killed hard, started again, and must leave every event counted exactly once and every decision
/// of a deterministic kind emitted, repeats only with the same id.
/// </summary>
public sealed class EngineKillTests(ITestOutputHelper output)
{
    private const int Partitions = 8;
    private const int Users = 1_000;

    [Fact]
    public async Task Killed_engine_restarts_with_every_event_counted_once_and_no_decision_lost()
    {
        var total = FaultScale.KillEvents;
        // Bounded: the run itself plus two engine starts and a consumer-group session timeout for the dead member.
        var bound = TimeSpan.FromSeconds(120 + total / 1_000.0);
        output.WriteLine($"stream: {total:N0} valid events of {Users:N0} users on {Partitions} partitions (ENGINE_FAULT_KILL_EVENTS), bound {bound.TotalSeconds:N0} s");
        var started = DateTime.UtcNow;
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, Partitions);
        using var garnet = new EmbeddedGarnet();
        using var decisions = new DecisionLog(kafka.BootstrapServers, new Engine.Actors.Pipeline.DecisionTopics(), Partitions);
        using var committed = new CommittedOffsets(kafka.BootstrapServers, "engine", Topics.Clickstream, Partitions);
        using var producer = new StreamProducer(kafka.BootstrapServers, Topics.Clickstream);
        using var stop = new CancellationTokenSource(bound);

        var first = EngineProcess.Start(kafka.BootstrapServers, garnet.Endpoint, Partitions);
        var producing = producer.ProduceAsync(StreamProducer.Valid(new FaultEvents(Users), 0, total), () => committed.Total, 20_000, stop.Token);
        var killAt = total * 2 / 5;
        await Bounded.UntilAsync(() => committed.Total >= killAt || first.HasExited, bound, () => $"{killAt:N0} events committed (now {committed.Total:N0})", producing);
        Assert.False(first.HasExited, "the engine exited by itself: " + string.Join("\n", first.Output.Take(60)));
        first.KillHard();
        var atKill = (Committed: committed.Total, Sent: producer.Sent, Decisions: decisions.Records);
        output.WriteLine($"injected: SIGKILL of engine pid {first.Id} after {(DateTime.UtcNow - started).TotalSeconds:N0} s, " +
                         $"with {atKill.Committed:N0} events committed, {atKill.Sent:N0} produced, {atKill.Decisions:N0} decision records read");

        using var second = EngineProcess.Start(kafka.BootstrapServers, garnet.Endpoint, Partitions);
        var restarted = DateTime.UtcNow;
        await Bounded.UntilAsync(() => producing.IsCompleted && committed.Total >= total || second.HasExited, bound - (DateTime.UtcNow - started),
            () => $"all {total:N0} events committed (now {committed.Total:N0}, produced {producer.Sent:N0})", producing.IsFaulted ? producing : null);
        Assert.False(second.HasExited, "the restarted engine exited: " + string.Join("\n", second.Output.TakeLast(20)));
        output.WriteLine($"restarted engine caught up in {(DateTime.UtcNow - restarted).TotalSeconds:N0} s; whole run {(DateTime.UtcNow - started).TotalSeconds:N0} s " +
                         $"({total / (DateTime.UtcNow - started).TotalSeconds:N0} events/s including the restart)");
        await decisions.WaitQuietAsync(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30));
        await second.StopGracefullyAsync(TimeSpan.FromSeconds(30));
        first.Dispose();

        var delivered = producer.Delivered;
        Assert.Equal(total, delivered.Count);
        using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.Endpoint);
        var features = await FeatureCheck.CompareUsersAsync(redis, delivered);
        output.WriteLine("features: " + features);
        var models = FaultEngine.LoadModels();
        var outcome = DecisionOutcome.Of(decisions, DecisionReference.Bids(delivered.Select(d => d.Event)), DecisionReference.Recommendations(delivered, models));
        FaultEngine.Release(models);
        output.WriteLine("decisions: " + outcome);
        output.WriteLine($"decision topics read: {decisions.Records:N0} records, {decisions.Gaps:N0} offsets skipped by retention");

        Assert.Equal(0, decisions.Gaps);
        Assert.Equal(0, features.Mismatched);
        Assert.Equal(features.EventsReferenced, features.EventsInRedis);
        outcome.AssertNothingLost();
    }
}
