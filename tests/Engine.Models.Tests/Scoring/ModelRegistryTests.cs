using Engine.Models.Scoring;

namespace Engine.Models.Tests.Scoring;

public sealed class ModelRegistryTests : IDisposable
{
    private readonly ModelFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Swapping_versions_under_concurrent_scoring_never_fails_a_call_and_every_version_serves()
    {
        var v1 = _files.Copy("v1", version: "v1");
        var v2 = _files.Copy("v2", version: "v2");
        using var registry = new ModelRegistry(v1, ModelSchemas.Churn);
        var row = registry.Current.Metadata.Baseline!.ToArray();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var failures = 0;
        using var stop = new CancellationTokenSource();

        var scorers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var result = registry.Score(row);
                    seen.AddOrUpdate(result.ModelVersion, 1, (_, n) => n + 1);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();

        var swaps = 0;
        for (var i = 0; i < 20; i++)
        {
            SpinWait.SpinUntil(() => seen.Values.Sum() > i * 50, TimeSpan.FromSeconds(5));
            Assert.True(registry.TryReload(i % 2 == 0 ? v2 : v1).Loaded);
            swaps++;
        }
        stop.Cancel();
        await Task.WhenAll(scorers);

        Assert.Equal(0, failures);
        Assert.Equal(20, swaps);
        Assert.Equal("v1", registry.Version);
        Assert.True(seen.ContainsKey("v1") && seen.ContainsKey("v2"), $"versions seen: {string.Join(",", seen.Keys)}");
    }

    [Fact]
    public void A_corrupt_replacement_keeps_the_old_version_serving_and_reports_why()
    {
        var v1 = _files.Copy("v1", version: "v1");
        var broken = _files.Copy("broken", version: "v2");
        File.WriteAllBytes(broken, [1, 2, 3, 4]);
        using var registry = new ModelRegistry(v1);
        var swapped = false;
        registry.Swapped += (_, _) => swapped = true;

        var result = registry.TryReload(broken);

        Assert.False(result.Loaded);
        Assert.Equal("v1", result.ServingVersion);
        Assert.Contains("not a valid ONNX model", result.Error);
        Assert.False(swapped);
        Assert.Equal("v1", registry.Score(registry.Current.Metadata.Baseline!.ToArray()).ModelVersion);
    }

    [Fact]
    public void A_closed_registry_refuses_calls_instead_of_spinning()
    {
        var registry = new ModelRegistry(_files.Copy("v1", version: "v1"));
        var row = registry.Current.Metadata.Baseline!.ToArray();
        registry.Dispose();
        Assert.Throws<ObjectDisposedException>(() => registry.Score(row));
    }

    [Fact]
    public void A_retired_scorer_refuses_new_calls_instead_of_touching_freed_memory()
    {
        var scorer = Scorer.Load(_files.Copy("v1", version: "v1"));
        var row = scorer.Metadata.Baseline!.ToArray();
        scorer.Retire();
        Assert.False(scorer.TryScore(row, out _));
        Assert.Throws<ModelRetiredException>(() => scorer.Score(row));
    }
}
