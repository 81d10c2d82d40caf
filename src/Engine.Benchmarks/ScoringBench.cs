using System.Globalization;
using System.Text;
using Engine.Models.Scoring;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Benchmarks;

/// <summary>
/// <c>./engine bench scoring</c>: each committed model (models/*/model.onnx) scored one row at a time through
/// <see cref="Scorer"/> (IOBinding over pinned buffers) beside the plain <c>NamedOnnxValue</c> call on an identical
/// single-threaded session, plus batch throughput. Rows are the model's baseline vector with seeded noise.
/// </summary>
public sealed class ScoringBench : IBenchSuite
{
    public string Name => "scoring";
    public string Description => "ONNX scoring per call (p50/p99/p99.9, bytes) vs NamedOnnxValue, and batch rows/s";

    public Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var models = ModelsFolder();
        var calls = context.Quick ? 5_000 : 100_000;
        var json = new Dictionary<string, object>();
        var md = new StringBuilder("# Scoring benchmark\n\n")
            .AppendLine(CultureInfo.InvariantCulture, $"{calls:N0} single-row calls per path after warm-up, one thread; batch of 1,024 rows. Models from `{models}`.\n")
            .AppendLine("| model | features | path | p50 us | p99 us | p99.9 us | bytes/call | batch rows/s |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var dir in Directory.GetDirectories(models).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.Combine(dir, "model.onnx");
            if (!File.Exists(path)) continue;
            using var scorer = Scorer.Load(path);
            var rows = Rows(scorer, 1024);
            var width = scorer.Width;

            var ours = ScoringBenchRunner.Measure(calls, 5_000, i => scorer.Score(rows.AsSpan(i % 1024 * width, width)));
            var baseline = MeasureNamedOnnxValue(path, scorer.Metadata, rows, width, calls);
            // Five rows in one call, as a bid request's candidates are scored: against five single calls' p50s.
            var five = new float[5];
            var fiveRows = ScoringBenchRunner.Measure(calls, 5_000, _ => scorer.ScoreBatch(rows, 5, five));
            var probabilities = new float[1024];
            var batch = ScoringBenchRunner.Throughput(1024, TimeSpan.FromSeconds(context.Quick ? 0.5 : 3), () => scorer.ScoreBatch(rows, probabilities));

            json[scorer.Metadata.Name] = new Dictionary<string, object>
            {
                ["version"] = scorer.Version,
                ["features"] = width,
                ["p50_us"] = ours.P50Us, ["p99_us"] = ours.P99Us, ["p999_us"] = ours.P999Us, ["bytes_per_call"] = ours.BytesPerCall,
                ["batch_rows_per_sec"] = batch,
                ["five_rows_one_call"] = new Dictionary<string, object> { ["p50_us"] = fiveRows.P50Us, ["p99_us"] = fiveRows.P99Us, ["bytes_per_call"] = fiveRows.BytesPerCall },
                ["baseline_named_onnx_value"] = new Dictionary<string, object>
                {
                    ["p50_us"] = baseline.P50Us, ["p99_us"] = baseline.P99Us, ["p999_us"] = baseline.P999Us, ["bytes_per_call"] = baseline.BytesPerCall,
                },
                ["p99_under_1ms"] = ours.P99Us < 1000,
                ["p99_under_50us"] = ours.P99Us < 50,
            };
            md.AppendLine(CultureInfo.InvariantCulture, $"| {scorer.Metadata.Name} | {width} | Scorer (IOBinding) | {ours.P50Us} | {ours.P99Us} | {ours.P999Us} | {ours.BytesPerCall} | {batch:N0} |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| {scorer.Metadata.Name} | {width} | Scorer, 5 rows in one call | {fiveRows.P50Us} | {fiveRows.P99Us} | {fiveRows.P999Us} | {fiveRows.BytesPerCall} | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| {scorer.Metadata.Name} | {width} | NamedOnnxValue | {baseline.P50Us} | {baseline.P99Us} | {baseline.P999Us} | {baseline.BytesPerCall} | |");
        }
        md.AppendLine().AppendLine("Requirement: p99 < 1 ms per single-row call; target p99 < 50 us. \"5 rows in one call\" is how a bid request's " +
            "candidates are scored (UserDecider.Bid): compare it with five single-row calls.");
        return Task.FromResult(new BenchResult(json, md.ToString()));
    }

    /// <summary>The baseline: a fresh input tensor and a NamedOnnxValue per call, results disposed.</summary>
    private static ScoringBenchRunner.Latency MeasureNamedOnnxValue(string path, Engine.Models.Scoring.ModelMetadata metadata, float[] rows, int width, int calls)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(path, options);
        string[] outputs = [metadata.OutputName];
        return ScoringBenchRunner.Measure(calls, 5_000, i =>
        {
            var tensor = new DenseTensor<float>(rows.AsMemory(i % 1024 * width, width), [1, width]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(metadata.InputName, tensor)], outputs);
        });
    }

    private static float[] Rows(Scorer scorer, int count)
    {
        var random = new Random(7);
        var baseline = scorer.Metadata.Baseline ?? Enumerable.Repeat(1f, scorer.Width).ToArray();
        var rows = new float[count * scorer.Width];
        for (var r = 0; r < count; r++)
            for (var f = 0; f < scorer.Width; f++)
                rows[r * scorer.Width + f] = baseline[f] * (float)(0.5 + random.NextDouble()) + (float)random.NextDouble();
        return rows;
    }

    private static string ModelsFolder()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return Path.Combine(dir.FullName, "models");
        throw new DirectoryNotFoundException("No Engine.sln above the current directory: run './engine bench scoring' from the repository.");
    }
}
