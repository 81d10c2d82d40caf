using System.Net.Sockets;
using Engine.Actors.Features;
using Engine.Actors.Telemetry;
using Engine.Host.Configuration;
using Engine.Host.Telemetry;
using Engine.Models.Scoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
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

    /// <exception cref="ConfigurationError">A port set explicitly is taken, or the address is not this machine's.</exception>
    public static async Task<EngineWeb> StartAsync(HttpOptions http, IConfiguration configuration, NodeMonitor monitor, LiveFeed? feed)
    {
        if (http.ListenAddress is null) throw new ConfigurationError([$"Http:Host: {http.Host} is not an IP address, localhost or *."]);
        var meters = new EngineMeters(monitor);
        var port = http.Port ?? HttpOptions.DefaultPort;
        var app = Build(http, port, configuration, monitor, feed);
        try
        {
            try
            {
                await app.StartAsync();
            }
            catch (IOException e) when (http.Port is null && e.GetBaseException() is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                // The default port is taken (another node on this machine, say): any free port rather than no node.
                await app.DisposeAsync();
                Console.Error.WriteLine($"http: port {HttpOptions.DefaultPort} is taken ({e.Message}); serving on a free port instead (set Http:Port to insist)");
                port = 0;
                app = Build(http, port, configuration, monitor, feed);
                await app.StartAsync();
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Taken, or an address this machine does not have: one line, not a stack trace and exit 1.
            await app.DisposeAsync();
            meters.Dispose();
            throw new ConfigurationError([$"Http:Port: cannot listen on {http.Host}:{port} ({e.GetBaseException().Message}); " +
                                          "choose another port (0 = any free port, -1 = no HTTP) or an address of this machine (Http:Host)."]);
        }
        return new EngineWeb(app, meters, app.Urls.First());
    }

    private static WebApplication Build(HttpOptions http, int port, IConfiguration configuration, NodeMonitor monitor, LiveFeed? feed)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.Sources.Clear();
        // A copy, not a chain: the web host writes settings of its own (urls), which a chained empty configuration refuses.
        builder.Configuration.AddInMemoryCollection(configuration.AsEnumerable());
        builder.Logging.AddEngineConsole(configuration)
            // A port that cannot be bound is reported by StartAsync in one line (or replaced): not as a logged stack trace.
            .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddSingleton<IHostLifetime, SignalsHandledElsewhere>();
        // An address, not a URL: an IPv6 literal needs no brackets, and port 0 works on loopback too. localhost on a fixed
        // port is both loopbacks, as a URL with that name was (a client that tries ::1 first finds it); on port 0, 127.0.0.1.
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (http.IsLocalhost && port > 0) kestrel.ListenLocalhost(port);
            else kestrel.Listen(http.ListenAddress!, port);
        });
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
