using Engine.Host.Configuration;
using Engine.Host.Node;
using Engine.Host.Telemetry;
using Engine.Models.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Engine.Host.Web;

/// <summary>
/// Everything a node serves over HTTP, started before the node (so <c>/healthz</c> answers while it joins the
/// cluster) and attached to it once it consumes: the monitor, the live feed and the web server.
/// </summary>
public sealed class NodeHttp : IAsyncDisposable
{
    private readonly ILoggerFactory? _ownLogs; // created here (none was given): disposed here
    private readonly NodeMonitor _monitor;
    private readonly LiveFeed? _feed;
    private readonly EngineWeb _web;

    private NodeHttp(ILoggerFactory? ownLogs, NodeMonitor monitor, LiveFeed? feed, EngineWeb web) => (_ownLogs, _monitor, _feed, _web) = (ownLogs, monitor, feed, web);

    public string Url => _web.Url;
    public NodeMonitor Monitor => _monitor;

    /// <param name="logs">The host's logger factory (null: one of its own from <paramref name="configuration"/>).</param>
    /// <param name="http">Where to listen; its <see cref="HttpOptions.LivePage"/> resolved by the caller (unset: on).</param>
    public static async Task<NodeHttp> StartAsync(HttpOptions http, IConfiguration configuration, EngineNodeSettings node, ILoggerFactory? logs = null)
    {
        var ownLogs = logs is null ? LoggerFactory.Create(b => b.AddEngineConsole(configuration)) : null;
        logs ??= ownLogs!;
        var client = node.KafkaClient ?? new Dictionary<string, string>();
        var lag = new ConsumerLagProbe(node.KafkaBootstrap, client, node.InputGroups);
        var monitor = new NodeMonitor(lag, logs.CreateLogger<NodeMonitor>());
        var feed = http.LivePage == false ? null : new LiveFeed(node.KafkaBootstrap, client, node.EffectiveTopics);
        try
        {
            return new NodeHttp(ownLogs, monitor, feed, await EngineWeb.StartAsync(http, configuration, monitor, feed));
        }
        catch
        {
            // Refused (a port taken, an address not this machine's): what was started for it stops with it.
            if (feed is not null) await feed.DisposeAsync();
            await monitor.DisposeAsync();
            ownLogs?.Dispose();
            throw;
        }
    }

    public void Attach(EngineNode node) => _monitor.Attach(node);

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        if (_feed is not null) await _feed.DisposeAsync();
        await _monitor.DisposeAsync();
        _ownLogs?.Dispose();
    }
}
