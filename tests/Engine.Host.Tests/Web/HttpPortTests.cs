using System.Net;
using System.Net.Sockets;
using Engine.Host.Configuration;
using Engine.Host.Embedded;
using Engine.Host.Node;
using Engine.Host.Tests.Cli;
using Engine.Host.Web;
using Engine.Models.Contracts;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Tests.Web;

/// <summary>Several nodes on one machine must not fight over 8080 unless the operator asked for it.</summary>
[Collection(EngineProcesses.Name)]
public sealed class HttpPortTests
{
    [Fact]
    public async Task The_default_port_taken_means_any_free_port()
    {
        using var holder = Hold(HttpOptions.DefaultPort);
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 1);
        var settings = new EngineNodeSettings(kafka.BootstrapServers, "127.0.0.1:1", "/models", 1, new ClusterSettings());
        await using var http = await NodeHttp.StartAsync(new HttpOptions { Host = "127.0.0.1" }, new ConfigurationBuilder().Build(), settings);

        Assert.NotEqual(HttpOptions.DefaultPort, new Uri(http.Url).Port);
        using var client = new HttpClient();
        Assert.Equal("ok\n", await client.GetStringAsync(new Uri(new Uri(http.Url), "/healthz")));
    }

    [Fact]
    public async Task A_port_set_explicitly_and_taken_stops_start_up_with_exit_code_2()
    {
        using var holder = Hold(0);
        var port = ((IPEndPoint)holder!.LocalEndpoint).Port;
        using var engine = EngineProcess.Start(["run", "--embedded", "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new Dictionary<string, string> { ["Http__Host"] = "127.0.0.1" });
        Assert.Equal(2, await engine.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains($"Http:Port: cannot listen on 127.0.0.1:{port}", engine.Output);
    }

    /// <summary>
    /// The live page streams decisions with user ids to whoever reaches the port, which is open for Prometheus: off unless
    /// asked for (review, 2026-12-06); the metrics and health endpoints stay.
    /// </summary>
    [Fact]
    public async Task Without_the_live_page_the_port_serves_metrics_and_health_and_no_decisions()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 1);
        var settings = new EngineNodeSettings(kafka.BootstrapServers, "127.0.0.1:1", "/models", 1, new ClusterSettings());
        using var client = new HttpClient();

        await using (var http = await NodeHttp.StartAsync(new HttpOptions { Host = "127.0.0.1", Port = 0, LivePage = false }, new ConfigurationBuilder().Build(), settings))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(new Uri(http.Url), "/live/stream"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(new Uri(http.Url), "/"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(new Uri(http.Url), "/metrics"))).StatusCode);
            Assert.Equal("ok\n", await client.GetStringAsync(new Uri(new Uri(http.Url), "/healthz")));
        }
        await using (var http = await NodeHttp.StartAsync(new HttpOptions { Host = "127.0.0.1", Port = 0, LivePage = true }, new ConfigurationBuilder().Build(), settings))
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(new Uri(http.Url), "/"))).StatusCode);
    }

    /// <summary>
    /// Before 2026-12-07 the host went into a URL: localhost with port 0 threw (Kestrel binds no dynamic port to a name), an
    /// IPv6 literal made no URL, and an address of another machine escaped as a stack trace (review).
    /// </summary>
    [Fact]
    public async Task Localhost_and_ipv6_literals_are_served_and_an_address_of_another_machine_is_a_configuration_error()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 1);
        var settings = new EngineNodeSettings(kafka.BootstrapServers, "127.0.0.1:1", "/models", 1, new ClusterSettings());
        using var client = new HttpClient();
        foreach (var host in new[] { "localhost", "::1" })
        {
            await using var http = await NodeHttp.StartAsync(new HttpOptions { Host = host, Port = 0 }, new ConfigurationBuilder().Build(), settings);
            Assert.Equal("ok\n", await client.GetStringAsync(new Uri(new Uri(http.Url), "/healthz")));
        }
        // 192.0.2.0/24 is reserved for documentation: never this machine's.
        var error = await Assert.ThrowsAsync<ConfigurationError>(() =>
            NodeHttp.StartAsync(new HttpOptions { Host = "192.0.2.7", Port = 0 }, new ConfigurationBuilder().Build(), settings));
        Assert.StartsWith("Http:Port: cannot listen on 192.0.2.7:0", Assert.Single(error.Problems));
    }

    /// <summary>Takes the port on 127.0.0.1 (null when something else already holds it: then it is taken anyway).</summary>
    private static TcpListener? Hold(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
