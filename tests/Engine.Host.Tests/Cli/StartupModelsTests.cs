using System.Text.Json.Nodes;
using Engine.Host.Cli;
using Engine.Host.Configuration;
using Engine.Testing;

namespace Engine.Host.Tests.Cli;

/// <summary>The models a node loads at start-up, while a deploy may be replacing them (docs/operations.md: the .onnx first, the .json last).</summary>
public sealed class StartupModelsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-startup-models-").FullName;

    /// <summary>
    /// A node started between a deploy's two renames (the new model.onnx in place, the old model.json still there) waits for
    /// the second: before 2026-12-07 it exited 2, which supervisors do not restart, though the deploy completed a moment later.
    /// </summary>
    [Fact]
    public async Task A_start_between_a_deploys_two_renames_waits_for_the_second()
    {
        var json = CopyModelsWithAnotherRunsChurnJson();
        var loading = Task.Run(() => NodeRunner.LoadModels(_folder, TimeSpan.FromSeconds(30)));
        await Task.Delay(1_500);
        var waited = !loading.IsCompleted;
        File.WriteAllText(json.Path, json.Deployed); // the deploy's second rename

        var models = await loading.WaitAsync(TimeSpan.FromSeconds(30));
        using var churn = models.Churn;
        using var bid = models.Bid;

        Assert.True(waited, "the load ended before the deploy completed");
        Assert.Equal(Engine.Models.Scoring.ModelMetadata.Parse(json.Deployed).Version, churn.Version);
    }

    [Fact]
    public void A_pair_still_of_two_runs_after_the_wait_stops_the_start_and_says_which_files()
    {
        var json = CopyModelsWithAnotherRunsChurnJson();

        var error = Assert.Throws<ConfigurationError>(() => NodeRunner.LoadModels(_folder, TimeSpan.FromSeconds(1)));

        Assert.Contains("is not the one", error.Message);
        Assert.Contains(json.Path, error.Message);
    }

    /// <summary>The committed models, with churn/model.json naming another model.onnx (a previous run's); returns its path and the deployed text.</summary>
    private (string Path, string Deployed) CopyModelsWithAnotherRunsChurnJson()
    {
        RepoPaths.CopyModels(_folder);
        var path = Path.Combine(_folder, "churn", "model.json");
        var deployed = File.ReadAllText(path);
        var previous = JsonNode.Parse(deployed)!;
        previous["onnx_sha256"] = new string('0', 64);
        File.WriteAllText(path, previous.ToJsonString());
        return (path, deployed);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
