using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Engine.Models.Scoring;

/// <summary>
/// Model scoring time, on the <c>Engine.Scoring</c> meter (exported by the host as a Prometheus histogram). One static
/// meter, as .NET advises for library instruments: recording costs two timestamps when nobody listens.
/// </summary>
public static class ScoringInstruments
{
    public const string MeterName = "Engine.Scoring";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "engine.model.scoring.duration", "ms", "Time of one ONNX scoring call (one feature vector, or a bid request's candidates in one batch), by model name",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50] });

    private static readonly Counter<long> Reloads = Meter.CreateCounter<long>("engine.model.reloads", "{reload}",
        "Hot reloads of a model file, by model and outcome: loaded, or refused (the serving version stays): alert on refused");

    /// <summary>A changed model file was loaded, or refused (<see cref="ModelRegistry.TryReload"/>).</summary>
    public static void CountReload(string model, bool loaded) => AddReloads(model, loaded, 1);

    /// <summary>
    /// The model's two series, at 0, from the watcher's start: a rate-based alert needs a sample before the first refusal,
    /// or the first refused deploy after a start (the series appearing at 1) never fires it.
    /// </summary>
    public static void DeclareReloads(string model)
    {
        AddReloads(model, loaded: true, 0);
        AddReloads(model, loaded: false, 0);
    }

    private static void AddReloads(string model, bool loaded, long count) =>
        Reloads.Add(count, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("outcome", loaded ? "loaded" : "refused"));

    /// <summary><see cref="Scorer.TryScore"/>, timed when a listener is attached.</summary>
    public static bool TryScoreTimed(Scorer scorer, ReadOnlySpan<float> features, out ScoreResult result)
    {
        if (!Duration.Enabled) return scorer.TryScore(features, out result);
        var start = Stopwatch.GetTimestamp();
        var scored = scorer.TryScore(features, out result);
        RecordSince(start, scorer);
        return scored;
    }

    /// <summary><see cref="Scorer.ScoreBatch(float[], int, float[])"/>, timed as one call when a listener is attached.</summary>
    public static void ScoreBatchTimed(Scorer scorer, float[] rows, int count, float[] probabilities)
    {
        if (!Duration.Enabled)
        {
            scorer.ScoreBatch(rows, count, probabilities);
            return;
        }
        var start = Stopwatch.GetTimestamp();
        scorer.ScoreBatch(rows, count, probabilities);
        RecordSince(start, scorer);
    }

    private static void RecordSince(long start, Scorer scorer) =>
        Duration.Record(Stopwatch.GetElapsedTime(start).TotalMilliseconds, new KeyValuePair<string, object?>("model", scorer.Metadata.Name));
}
