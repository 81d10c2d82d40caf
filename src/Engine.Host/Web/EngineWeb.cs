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
/// <c>/readyz</c> (consuming, Redis and Kafka reachable), and, when enabled, the live page at <c>/</c> fed by <c>/live/stream</c>.
/// </summary>
public sealed class EngineWeb : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EngineMeters _meters;

    private EngineWeb(WebApplication app, EngineMeters meters, string url) => (_app, _meters, Url) = (app, meters, url);

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:8080</c> (the real port when configured with 0).</summary>
    public string Url { get; }

    /// <exception cref="ConfigurationError">A port set explicitly is taken.</exception>
    public static async Task<EngineWeb> StartAsync(HttpOptions http, IConfiguration configuration, NodeMonitor monitor, LiveFeed? feed)
    {
        var meters = new EngineMeters(monitor);
        var app = Build(http.Host, http.Port ?? HttpOptions.DefaultPort, configuration, monitor, feed);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (http.Port is null)
        {
            // The default port is taken (another node on this machine, say): any free port rather than no node.
            await app.DisposeAsync();
            Console.Error.WriteLine($"http: port {HttpOptions.DefaultPort} is taken ({e.Message}); serving on a free port instead (set Http:Port to insist)");
            app = Build(http.Host, 0, configuration, monitor, feed);
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

    private static WebApplication Build(string host, int port, IConfiguration configuration, NodeMonitor monitor, LiveFeed? feed)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.Sources.Clear();
        // A copy, not a chain: the web host writes settings of its own (urls), which a chained empty configuration refuses.
        builder.Configuration.AddInMemoryCollection(configuration.AsEnumerable());
        builder.Logging.AddEngineConsole(configuration)
            // A port that cannot be bound is reported by StartAsync in one line (or replaced): not as a logged stack trace.
            .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddSingleton<IHostLifetime, SignalsHandledElsewhere>();
        builder.WebHost.UseUrls($"http://{host}:{port}");
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("engine")).WithMetrics(metrics => metrics
            .AddMeter(EngineMeters.MeterName, FeatureMetrics.MeterName, PipelineInstruments.MeterName, ScoringInstruments.MeterName,
                Engine.Models.Fairness.FairnessInstruments.MeterName)
            .AddPrometheusExporter());
        var app = builder.Build();
        var stopping = app.Lifetime.ApplicationStopping;

        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => monitor.Readiness() is var r && r.Ready ? Results.Json(r) : Results.Json(r, statusCode: StatusCodes.Status503ServiceUnavailable));
        if (feed is null) return app; // no live page: it shows user ids to whoever reaches the port (HttpOptions.LivePage)
        app.MapGet("/", () => Results.Stream(LivePage.Open(), "text/html; charset=utf-8"));
        app.MapGet("/live/stream", (HttpContext context) => LiveStream.ServeAsync(context, feed, monitor, stopping));
        return app;
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
