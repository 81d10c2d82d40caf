using Engine.Host.Node;
using Engine.Models.Scoring;
using Engine.Testing;

namespace Engine.Host.Tests.Node;

public sealed class ModelWatcherTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-models-").FullName;

    [Fact]
    public async Task A_corrupt_file_is_refused_and_reported_the_old_version_serves_and_a_good_file_then_loads()
    {
        var (path, _) = DeployCommittedChurn();
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);
        var serving = registry.Version;
        var reports = new List<string>();
        using var reloads = new ReloadCounts();
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), line => { lock (reports) reports.Add(line); },
            pairGrace: TimeSpan.Zero);

        watcher.CheckOnce();
        Assert.Empty(reports); // nothing changed: nothing reloaded

        await ReplaceAsync(path, new byte[4096]); // garbage where the model was
        watcher.CheckOnce();
        Assert.Equal(0, watcher.Refusals); // not the file its model.json names: maybe the other is on its way
        Assert.Contains("waits for its other file", Assert.Single(reports), StringComparison.Ordinal);
        watcher.CheckOnce(); // past the grace, still the same
        Assert.Equal(1, watcher.Refusals);
        Assert.Contains($"version {serving} keeps serving", reports[^1], StringComparison.Ordinal);
        Assert.Equal(serving, registry.Version);
        Assert.InRange(registry.Score(new float[registry.Current.Metadata.Features.Count]).Probability, 0, 1);

        watcher.CheckOnce();
        Assert.Equal(2, reports.Count); // reported once per change, not at every poll

        await ReplaceAsync(path, await File.ReadAllBytesAsync(RepoPaths.Model("churn")));
        watcher.CheckOnce();
        Assert.Equal(1, watcher.Reloads);
        Assert.Contains("reloaded", reports[^1], StringComparison.Ordinal);
        // On the metrics too, where an alert can see a refused deploy (the report is a console line).
        Assert.Equal([("churn", "refused"), ("churn", "loaded")], reloads.Counted);
    }

    /// <summary>
    /// A deploy done in two renames, the .onnx first: the poll between them sees a pair of two runs. Before 2026-12-07 it
    /// counted a refusal (and paged whoever alerts on them) for a deploy done at the next poll (a review).
    /// </summary>
    [Fact]
    public async Task A_pair_deployed_in_two_renames_is_loaded_without_a_refusal()
    {
        var (path, metadata) = DeployCommittedChurn();
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);
        var reports = new List<string>();
        using var reloads = new ReloadCounts();
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), line => { lock (reports) reports.Add(line); });
        var next = Path.Combine(_folder, "next");
        Directory.CreateDirectory(next);
        var retrained = Path.Combine(next, "model.onnx");
        TinyChurnOf(retrained); // another run: the same features, other bytes

        await ReplaceAsync(path, await File.ReadAllBytesAsync(retrained));
        watcher.CheckOnce();
        await ReplaceAsync(metadata, await File.ReadAllBytesAsync(Path.ChangeExtension(retrained, ".json")));
        watcher.CheckOnce();

        Assert.Equal((1, 0L), (watcher.Reloads, watcher.Refusals));
        Assert.Equal("retrained", registry.Version);
        Assert.DoesNotContain(("churn", "refused"), reloads.Counted);
    }

    /// <summary>
    /// A load that fails for a passing cause (out of memory, a read error on a network volume): the same files are tried
    /// again. Before 2026-12-07 they were marked seen, and never tried again until their bytes changed (a review).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // out of memory, which the registry lets through: before 2026-12-08 never tried again nor counted (review)
    public async Task Files_refused_for_a_passing_cause_are_tried_again_while_unchanged(bool throws)
    {
        var (path, metadata) = DeployCommittedChurn();
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);
        var failures = 1;
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), _ => { }, retryRefused: TimeSpan.Zero,
            reload: (r, p) => failures-- <= 0 ? r.TryReload(p)
                : throws ? throw new OutOfMemoryException("the container's memory limit")
                : new ReloadResult(false, r.Version, "IOException: the network volume did not answer"));
        var next = Path.Combine(_folder, "next");
        Directory.CreateDirectory(next);
        var retrained = Path.Combine(next, "model.onnx");
        TinyChurnOf(retrained);
        await ReplaceAsync(metadata, await File.ReadAllBytesAsync(Path.ChangeExtension(retrained, ".json")));
        await ReplaceAsync(path, await File.ReadAllBytesAsync(retrained));

        watcher.CheckOnce();
        Assert.Equal(1, watcher.Refusals);
        watcher.CheckOnce(); // the files unchanged

        Assert.Equal(1, watcher.Reloads);
        Assert.Equal("retrained", registry.Version);
    }

    /// <summary>
    /// A pair of two runs left as it is counts one refusal: its retries every few minutes are quiet (a review found them
    /// going back to "waits for its other file" and counting a refusal again each time).
    /// </summary>
    [Fact]
    public async Task A_pair_of_two_runs_left_as_it_is_counts_one_refusal()
    {
        var (path, _) = DeployCommittedChurn();
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), _ => { }, pairGrace: TimeSpan.Zero,
            retryRefused: TimeSpan.Zero);
        await ReplaceAsync(path, new byte[4096]);

        for (var look = 0; look < 5; look++) watcher.CheckOnce();

        Assert.Equal((0, 1L), (watcher.Reloads, watcher.Refusals));
    }

    /// <summary>The committed churn model written again as another run's: its model.json with version "retrained" and the new file's hash.</summary>
    private static void TinyChurnOf(string path)
    {
        var bytes = File.ReadAllBytes(RepoPaths.Model("churn"));
        File.WriteAllBytes(path, [.. bytes, .. new byte[] { 0x12, 0x00 }]); // an empty field 2 appended: the same graph, other bytes
        var json = File.ReadAllText(Path.ChangeExtension(RepoPaths.Model("churn"), ".json"));
        var parsed = ModelMetadata.Parse(json);
        File.WriteAllText(Path.ChangeExtension(path, ".json"), (parsed with { Version = "retrained", OnnxSha256 = ModelMetadata.Sha256Of(File.ReadAllBytes(path)) }).ToJson());
    }

    /// <summary>What <c>engine.model.reloads</c> counted while the test ran (its series declared at 0 apart).</summary>
    private sealed class ReloadCounts : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly List<(string Model, string Outcome)> _seen = [];

        public ReloadCounts()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "engine.model.reloads") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, count, tags, _) =>
            {
                if (count == 0) return;
                string? model = null, outcome = null;
                foreach (var tag in tags)
                    if (tag.Key == "model") model = tag.Value as string;
                    else if (tag.Key == "outcome") outcome = tag.Value as string;
                lock (_seen) _seen.Add((model!, outcome!));
            });
            _listener.Start();
        }

        public List<(string Model, string Outcome)> Counted
        {
            get
            {
                lock (_seen) return [.. _seen];
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task A_new_metadata_file_alone_is_a_new_version_and_is_loaded()
    {
        var (path, metadata) = DeployCommittedChurn();
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);
        var reports = new List<string>();
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), line => { lock (reports) reports.Add(line); });

        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(metadata))!;
        json["version"] = "recalibrated-2";
        await ReplaceAsync(metadata, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
        watcher.CheckOnce();

        Assert.Equal(1, watcher.Reloads);
        Assert.Equal("recalibrated-2", registry.Version);
    }

    [Fact]
    public async Task A_model_deployed_between_the_load_and_the_watchers_start_is_loaded_at_its_first_look()
    {
        var (path, metadata) = DeployCommittedChurn();
        var loadedAt = ModelWatcher.Look([path]);
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);

        // Deployed while the node starts (its cluster join, its campaign feed): before 2026-12-06 the watcher, started after,
        // took this as its baseline and the old version served until the next deployment.
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(metadata))!;
        json["version"] = "deployed-while-starting";
        await ReplaceAsync(metadata, System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), _ => { }, loadedAt);
        watcher.CheckOnce();

        Assert.Equal(1, watcher.Reloads);
        Assert.Equal("deployed-while-starting", registry.Version);
    }

    /// <summary>
    /// A Kubernetes ConfigMap: model.onnx and model.json are links into <c>..data</c>, itself a link to the current version's
    /// folder, and a deployment swaps <c>..data</c> alone. Before 2026-12-06 the watcher stamped the links, which never change.
    /// </summary>
    [Fact]
    public async Task A_model_behind_links_whose_target_folder_is_swapped_as_a_config_map_does_is_reloaded()
    {
        var v1 = Directory.CreateDirectory(Path.Combine(_folder, "..v1")).FullName;
        var v2 = Directory.CreateDirectory(Path.Combine(_folder, "..v2")).FullName;
        foreach (var version in new[] { v1, v2 }) File.Copy(RepoPaths.Model("churn"), Path.Combine(version, "model.onnx"));
        File.Copy(Path.ChangeExtension(RepoPaths.Model("churn"), ".json"), Path.Combine(v1, "model.json"));
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(v1, "model.json")))!;
        json["version"] = "config-map-2";
        await File.WriteAllTextAsync(Path.Combine(v2, "model.json"), json.ToJsonString());
        var data = Path.Combine(_folder, "..data");
        File.CreateSymbolicLink(data, "..v1");
        var path = Path.Combine(_folder, "model.onnx");
        File.CreateSymbolicLink(path, Path.Combine("..data", "model.onnx"));
        File.CreateSymbolicLink(Path.Combine(_folder, "model.json"), Path.Combine("..data", "model.json"));
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), _ => { });

        // The kubelet's swap (a new link renamed over ..data; here replaced, which the watcher cannot tell apart).
        File.Delete(data);
        File.CreateSymbolicLink(data, "..v2");
        watcher.CheckOnce();

        Assert.Equal(1, watcher.Reloads);
        Assert.Equal("config-map-2", registry.Version);
    }

    [Fact]
    public async Task A_model_json_replaced_by_one_of_the_same_length_and_time_is_reloaded()
    {
        var (path, metadata) = DeployCommittedChurn();
        using var registry = new ModelRegistry(path, ModelSchemas.Churn);
        await using var watcher = new ModelWatcher([("churn", path, registry)], TimeSpan.FromHours(1), _ => { });

        // As 'cp -p' or 'rsync -a' deploy it: the times kept, and here the length too.
        var text = await File.ReadAllTextAsync(metadata);
        var version = registry.Version;
        var written = File.GetLastWriteTimeUtc(metadata);
        await File.WriteAllTextAsync(metadata, text.Replace($"\"{version}\"", $"\"{new string('x', version.Length)}\""));
        File.SetLastWriteTimeUtc(metadata, written);
        watcher.CheckOnce();

        Assert.Equal(1, watcher.Reloads);
        Assert.Equal(new string('x', version.Length), registry.Version);
    }

    /// <summary>The committed churn model and its model.json in the test's folder: their paths.</summary>
    private (string Model, string Metadata) DeployCommittedChurn()
    {
        var (model, metadata) = (Path.Combine(_folder, "model.onnx"), Path.Combine(_folder, "model.json"));
        File.Copy(RepoPaths.Model("churn"), model);
        File.Copy(Path.ChangeExtension(RepoPaths.Model("churn"), ".json"), metadata);
        return (model, metadata);
    }

    /// <summary>Writes beside and renames over, as a deployment should; the new time stamp marks the change.</summary>
    private static async Task ReplaceAsync(string path, byte[] content)
    {
        var next = path + ".next";
        await File.WriteAllBytesAsync(next, content);
        File.SetLastWriteTimeUtc(next, File.GetLastWriteTimeUtc(path).AddSeconds(1));
        File.Move(next, path, overwrite: true);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
