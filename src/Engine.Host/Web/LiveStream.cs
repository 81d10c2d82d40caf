using System.Text.Json;
using System.Threading.Channels;
using Engine.Host.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Engine.Host.Web;

/// <summary><c>GET /live/stream</c>: server-sent events, one per sampled decision (event = its kind) and a <c>metrics</c> event each second.</summary>
public static class LiveStream
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task ServeAsync(HttpContext http, LiveFeed feed, NodeMonitor monitor, CancellationToken stopping)
    {
        var reader = feed.Subscribe();
        try
        {
            await ServeAsync(http, reader, monitor, stopping);
        }
        finally
        {
            feed.Unsubscribe(reader);
        }
    }

    /// <summary>Writes the decisions <paramref name="reader"/> gives and, each second, the metrics, until the page closes or the host stops.</summary>
    internal static async Task ServeAsync(HttpContext http, ChannelReader<LiveDecision> reader, NodeMonitor monitor, CancellationToken stopping)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var ct = ended.Token;
        var previous = (EventsIn: monitor.Node?.UserCounters.Consumed ?? 0, Ticks: Environment.TickCount64);
        // The node attaches after the page may have connected (a demo starts its node behind the page).
        RecentLatency? latency = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var now = Environment.TickCount64;
                if (latency is null && monitor.Node is { } node) latency = new RecentLatency(node.Decisions.LatencyMicros);
                var metrics = LiveMetrics.Read(monitor, previous, now, latency);
                previous = (metrics.EventsIn, now);
                await WriteAsync(http, "metrics", JsonSerializer.Serialize(metrics, Json), ct);
                var until = now + 1000;
                // The second is checked between decisions too: a page reading slower than the feed fills its queue never
                // empties it, and before 2026-12-07 its metrics stopped after the first (a review).
                while (Environment.TickCount64 < until && await WaitAsync(reader, TimeSpan.FromMilliseconds(Math.Max(1, until - Environment.TickCount64)), ct))
                    while (Environment.TickCount64 < until && reader.TryRead(out var decision))
                        await WriteAsync(http, decision.Kind, decision.Json, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed or the host is stopping.
        }
    }

    private static async Task<bool> WaitAsync(ChannelReader<LiveDecision> reader, TimeSpan wait, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(wait);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false; // a second passed with no decision: time for the metrics
        }
    }

    private static async Task WriteAsync(HttpContext http, string kind, string json, CancellationToken ct)
    {
        // JSON from Kafka is one line; SSE data must not contain a bare newline.
        await http.Response.WriteAsync($"event: {kind}\ndata: {json.ReplaceLineEndings(" ")}\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }
}
