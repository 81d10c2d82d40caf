using Engine.FaultTests.Harness;
using Engine.Host.Embedded;
using Xunit.Abstractions;

namespace Engine.FaultTests;

/// <summary>
/// A model file replaced by a corrupt one and hot-reloaded while the engine decides: the reload is refused with the
/// reason, the old version keeps serving every decision, nothing is lost.
/// </summary>
public sealed class ModelReloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_corrupt_model_on_hot_reload_is_refused_and_the_old_one_keeps_serving()
    {
        var total = FaultScale.StreamEvents;
        var bound = TimeSpan.FromSeconds(90 + total / 500.0);
        using var models = new ModelsCopy();
        using var garnet = new EmbeddedGarnet();
        await using var run = await FaultRun.StartAsync(garnet.Endpoint, output, Engine.Host.Demo.DemoModels.Load(models.Directory));
        var serving = (Bid: run.Models.Bid.Version, Churn: run.Models.Churn.Version);
        using var stop = new CancellationTokenSource(bound);
        var producing = run.ProduceAsync(StreamProducer.Valid(run.Events, 0, total), 5_000, stop.Token);

        await run.UntilAsync(() => run.Committed.Total >= total / 2, bound, () => $"half consumed (now {run.Committed.Total:N0})", producing);
        var bidsBefore = run.Decisions.Bids.Count;
        // A fixed row through each serving model, before and after: the fault stream books no campaign and scores churn at most
        // hourly per user, so its own decisions after the reload need not call either model; these calls do.
        var probe = (Bid: Probe(run.Models.Bid), Churn: Probe(run.Models.Churn));
        // The hot reload as run does it: the node's ModelWatcher polling the models' files (since 2026-12-07; before, the test
        // called the registries' reload itself, and a watcher that never noticed, or died on the corrupt file, passed).
        var reports = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (bidPath, churnPath) = (Path.Combine(models.Directory, "bid", "model.onnx"), Path.Combine(models.Directory, "churn", "model.onnx"));
        await using var watcher = new Engine.Host.Node.ModelWatcher([("churn", churnPath, run.Models.Churn), ("bid", bidPath, run.Models.Bid)],
            TimeSpan.FromMilliseconds(200), reports.Enqueue);
        models.Corrupt("bid");
        models.Corrupt("churn");
        output.WriteLine($"injected: bid/model.onnx and churn/model.onnx overwritten with 4 KB of garbage at {run.Node.UserCounters.Consumed:N0} consumed, under a watcher polling every 200 ms");
        await run.UntilAsync(() => watcher.Refusals >= 2, TimeSpan.FromSeconds(30), () => $"both refusals reported (now {watcher.Refusals})", producing);
        foreach (var line in reports) output.WriteLine("reported: " + line);
        Assert.Contains(reports, line => line.StartsWith($"models: bid at {bidPath} was refused, version {serving.Bid} keeps serving", StringComparison.Ordinal));
        Assert.Contains(reports, line => line.StartsWith($"models: churn at {churnPath} was refused, version {serving.Churn} keeps serving", StringComparison.Ordinal));

        var probeAfter = (Bid: Probe(run.Models.Bid), Churn: Probe(run.Models.Churn));
        output.WriteLine($"scored after the refused reloads: bid {probeAfter.Bid.ModelVersion} p={probeAfter.Bid.Probability:F6} (before {probe.Bid.Probability:F6}), " +
                         $"churn {probeAfter.Churn.ModelVersion} p={probeAfter.Churn.Probability:F6} (before {probe.Churn.Probability:F6})");
        Assert.Equal(probe, probeAfter);

        await run.WaitCommittedAsync(total, bound, producing);
        var bids = run.Decisions.Bids.ToList();
        var after = bids.Skip(bidsBefore).ToList();
        output.WriteLine($"bid decisions: {bidsBefore:N0} before the reload, {after.Count:N0} after, versions after: " +
                         string.Join(", ", after.GroupBy(b => b.ModelVersion).Select(g => $"{g.Key} x{g.Count():N0}")));
        Assert.Equal(serving.Bid, run.Models.Bid.Version);
        Assert.Equal(serving.Churn, run.Models.Churn.Version);
        // The polling survived the refusals: the good file put back is loaded (the same version again).
        File.Copy(Path.Combine(FaultEngine.ModelsDirectory, "bid", "model.onnx"), bidPath, overwrite: true);
        await run.UntilAsync(() => watcher.Reloads >= 1, TimeSpan.FromSeconds(30), () => "the restored bid model reloaded", Task.CompletedTask);
        output.WriteLine("reported: " + reports.Last());
        Assert.Equal(serving.Bid, run.Models.Bid.Version);
        Assert.NotEmpty(after);
        Assert.All(after, b => Assert.Equal(serving.Bid, b.ModelVersion));
        Assert.All(run.Decisions.ChurnAlerts, c => Assert.Equal(serving.Churn, c.ModelVersion));
        await run.AssertNothingLostAsync();
    }

    /// <summary>The serving version's probability for a row of ones (through the registry, as a decision calls it).</summary>
    private static Engine.Models.Scoring.ScoreResult Probe(Engine.Models.Scoring.ModelRegistry registry) =>
        registry.Score([.. Enumerable.Repeat(1f, registry.Current.Width)]);

    /// <summary>A private copy of the committed models/ folder, whose files the test may overwrite.</summary>
    private sealed class ModelsCopy : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("engine-fault-models-").FullName;

        public ModelsCopy()
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(FaultEngine.ModelsDirectory, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(Directory, Path.GetRelativePath(FaultEngine.ModelsDirectory, file));
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        /// <summary>Overwrites NAME/model.onnx in place with random bytes, as a half-copied or damaged deployment would.</summary>
        public string Corrupt(string name)
        {
            var path = Path.Combine(Directory, name, "model.onnx");
            File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);
            return path;
        }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
