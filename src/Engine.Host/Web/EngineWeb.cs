using Engine.Actors.Features;
using Engine.Actors.Telemetry;
using Engine.Host.Configuration;
using Engine.Host.Telemetry;
using Engine.Models.Scoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Engine.Host.Web;

/// <summary>
/// The node's HTTP side (Kestrel): <c>/metrics</c> for Prometheus, <c>/healthz</c> (the process answers),
/// <c>/readyz</c> (consuming, Redis and Kafka reachable), and the live page at <c>/</c> fed by <c>/live/stream</c>.
/// </summary>
public sealed class EngineWeb : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EngineMeters _meters;

    private EngineWeb(WebApplication app, EngineMeters meters, string url) => (_app, _meters, Url) = (app, meters, url);

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:8080</c> (the real port when configured with 0).</summary>
    public string Url { get; }

    public static async Task<EngineWeb> StartAsync(HttpOptions http, IConfiguration configuration, NodeMonitor monitor, LiveFeed feed)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders().AddConfiguration(configuration.GetSection("Logging")).AddConsole();
        builder.Services.AddSingleton<IHostLifetime, SignalsHandledElsewhere>();
        builder.WebHost.UseUrls($"http://{http.Host}:{http.Port}");
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("engine")).WithMetrics(metrics => metrics
            .AddMeter(EngineMeters.MeterName, FeatureMetrics.MeterName, PipelineInstruments.MeterName, ScoringInstruments.MeterName)
            .AddPrometheusExporter());
        var meters = new EngineMeters(monitor);
        var app = builder.Build();
        var stopping = app.Lifetime.ApplicationStopping;

        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => monitor.Readiness() is var r && r.Ready ? Results.Json(r) : Results.Json(r, statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/", () => Results.Stream(LivePage.Open(), "text/html; charset=utf-8"));
        app.MapGet("/live/stream", (HttpContext context) => LiveStream.ServeAsync(context, feed, monitor, stopping));
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            meters.Dispose();
            throw new ConfigurationError([$"Http:Port: cannot listen on {http.Host}:{http.Port} ({e.Message}); choose another port (0 = any free port, -1 = no HTTP)."]);
        }
        return new EngineWeb(app, meters, app.Urls.First());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(5));
        await _app.DisposeAsync();
        _meters.Dispose();
    }

    /// <summary>SIGTERM belongs to the command (Cli/ShutdownSignals): the web host must not stop on its own.</summary>
    private sealed class SignalsHandledElsewhere : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
