using System.Globalization;
using System.Text;
using Engine.Models.Contracts;
using Engine.Models.Recommendations;
using Engine.Models.Simulation;

namespace Engine.Benchmarks;

/// <summary>
/// <c>./engine bench recs</c>: the serving recommender (models/recs: past sessions plus the learned ranker) called as the
/// user actors call it, once per click of simulated sessions (seed 7, unseen in training), with per-call latency and
/// bytes; beside it the blend alone (no ranker). The output fingerprint (items and scores of every call) shows whether
/// a change to the code changed what is recommended; the second one adds each item's reason. Calls/s is one thread's
/// rate from its CPU time per call (steadier on a shared machine than wall-clock).
/// </summary>
public sealed class RecsBench : IBenchSuite
{
    public string Name => "recs";
    public string Description => "Recommender per call (p50/p99, bytes) with and without the learned ranker, and an output fingerprint";

    public Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Engine.Host.Demo.DemoModels.FindDirectory(null), "recs");
        var recommender = RecommenderFiles.Load(folder);
        var requests = Requests(context.Quick ? 1_000 : 5_000);
        var json = new Dictionary<string, object> { ["requests"] = requests.Count };
        var md = new StringBuilder("# Recommender benchmark\n\n")
            .AppendLine(CultureInfo.InvariantCulture, $"{requests.Count:N0} requests (every click prefix of simulated sessions, seed 7), top 20, one thread; models from `{folder}`.\n")
            .AppendLine("| path | cpu us/call | calls/s | p50 us | p99 us | p99.9 us | bytes/call | fingerprint | with reasons |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (name, r) in new[] { ("learned_ranker", recommender), ("blend", recommender.With((LearnedRanker?)null)) })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (fingerprint, withReasons) = Fingerprints(r, requests);
            var latency = ScoringBenchRunner.Measure(requests.Count * 2, requests.Count, i => r.Recommend(requests[i % requests.Count], null, 20));
            var callsPerSec = Math.Round(1e6 / latency.CpuUsPerCall);
            json[name] = new Dictionary<string, object>
            {
                ["cpu_us_per_call"] = latency.CpuUsPerCall, ["calls_per_s"] = callsPerSec, ["p50_us"] = latency.P50Us, ["p99_us"] = latency.P99Us,
                ["p999_us"] = latency.P999Us, ["bytes_per_call"] = latency.BytesPerCall, ["fingerprint"] = fingerprint, ["fingerprint_with_reasons"] = withReasons,
            };
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {latency.CpuUsPerCall} | {callsPerSec:N0} | {latency.P50Us} | {latency.P99Us} | {latency.P999Us} | {latency.BytesPerCall} | {fingerprint} | {withReasons} |");
        }
        return Task.FromResult(new BenchResult(json, md.ToString()));
    }

    /// <summary>Each click prefix (oldest first) of the simulated sessions' item clicks.</summary>
    private static List<string[]> Requests(int count)
    {
        var sessions = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var requests = new List<string[]>(count);
        foreach (var e in new ClickstreamSimulator(new SimulatorOptions { Seed = 7, Users = 4000 }))
        {
            if (requests.Count >= count) break;
            if (e.ItemId is null || e.SessionId is null || e.Type is not (EventType.ProductView or EventType.AddToCart or EventType.Purchase)) continue;
            if (!sessions.TryGetValue(e.SessionId, out var items)) sessions[e.SessionId] = items = [];
            items.Add(e.ItemId);
            requests.Add([.. items]);
        }
        return requests;
    }

    /// <summary>Stable hashes of every returned item id and score (rounded as served), without and with its reason, from one pass.</summary>
    private static (string Plain, string WithReasons) Fingerprints(SessionRecommender recommender, List<string[]> requests)
    {
        var (plain, withReasons) = (new StringBuilder(), new StringBuilder());
        foreach (var request in requests)
        {
            foreach (var item in recommender.Recommend(request, null, 20))
            {
                var scored = item.ItemId + ":" + item.Score.ToString("R", CultureInfo.InvariantCulture);
                plain.Append(scored).Append(';');
                withReasons.Append(scored).Append(':').Append(item.Reason).Append(';');
            }
        }
        return (Hash(plain), Hash(withReasons));
    }

    private static string Hash(StringBuilder text) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
}
