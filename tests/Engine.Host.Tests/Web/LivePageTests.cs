using Engine.Actors.Campaigns;
using Engine.Actors.Pipeline;
using Engine.Host.Configuration;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Host.Tests.Cli;
using Engine.Host.Web;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Microsoft.Extensions.Configuration;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Web;

/// <summary>
/// The live page in a real browser: Debian's Chromium, headless, driven by Playwright (its driver ships in the build
/// output; no browser is downloaded). The engine runs embedded with the simulator feeding it.
/// </summary>
[Collection(EngineProcesses.Name)]
public sealed class LivePageTests(ITestOutputHelper output)
{
    /// <summary>Debian's package (apt-get install chromium; ./test.sh installs it); ENGINE_TEST_CHROMIUM overrides.</summary>
    private static readonly string Chromium = Environment.GetEnvironmentVariable("ENGINE_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    [Fact]
    public async Task Shows_decisions_and_metrics_as_the_engine_makes_them()
    {
        Assert.True(File.Exists(Chromium),
            $"Chromium is not installed at {Chromium}: this test needs a real browser. Install it with 'apt-get install -y chromium' (./test.sh does) or set ENGINE_TEST_CHROMIUM.");
        var demo = new DemoOptions(Events: 1_000_000, Users: 500, Campaigns: 10, Rate: 300, Partitions: 2);
        await using var infrastructure = await Infrastructure.StartAsync(null, null, demo.Partitions);
        var settings = new EngineNodeSettings(infrastructure.KafkaBootstrap, infrastructure.RedisEndpoint, DemoModels.FindDirectory(null), demo.Partitions,
            new ClusterSettings(), GroupId: "live-page-test");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" }).Build();
        await using var http = await NodeHttp.StartAsync(new HttpOptions { Host = "127.0.0.1", Port = 0 }, configuration, settings);
        await CampaignBookings.PublishAsync(infrastructure.KafkaBootstrap, DemoModels.CampaignSpecs(demo));
        var node = await EngineNode.StartAsync(settings, DemoModels.Load(settings.ModelsDirectory), new CampaignCatalog(), new CampaignBoard(), CancellationToken.None);
        http.Attach(node);
        using var stopSimulator = new CancellationTokenSource();
        var simulator = new SimulatedProducer(infrastructure.KafkaBootstrap, Topics.Clickstream, demo);
        var producing = Task.Run(() => simulator.RunAsync(stopSimulator.Token));
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
            var page = await browser.NewPageAsync();
            await page.GotoAsync(http.Url);

            await Assertions.Expect(page.Locator("#recommendations li").First).ToBeVisibleAsync(new() { Timeout = 90_000 });
            await Assertions.Expect(page.Locator("#bids li").First).ToBeVisibleAsync(new() { Timeout = 90_000 });
            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("ready", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#events-in")).Not.ToHaveTextAsync("0", new() { Timeout = 30_000 });

            var recommendation = await page.Locator("#recommendations li").First.TextContentAsync();
            Assert.Matches(@"^\S+: \S+", recommendation); // "user: item, item, ..."
            output.WriteLine($"page after {simulator.Produced:N0} events: events in {await page.Locator("#events-in").TextContentAsync()}, " +
                             $"recommendations {await page.Locator("#count-recommendations").TextContentAsync()}, bids {await page.Locator("#count-bids").TextContentAsync()}");
            output.WriteLine($"latest recommendation on the page: {recommendation}");
            output.WriteLine($"latest bid line on the page: {await page.Locator("#bids li").First.TextContentAsync()}");
            // A pipeline that failed is restarted (its completion stays pending): before 2026-12-06 one that failed after the
            // page had shown its first decisions went unnoticed.
            Assert.Equal((0, 0), (node.PipelineRestarts.Users, node.PipelineRestarts.Campaigns));
        }
        finally
        {
            await stopSimulator.CancelAsync();
            await producing.ContinueWith(_ => { }, TaskScheduler.Default);
            await StopAsync(node);
        }
    }

    /// <summary>Stops the node without letting a pipeline failure hide what the page showed or missed (the test body asserts on it).</summary>
    private async Task StopAsync(EngineNode node)
    {
        try
        {
            await node.StopAsync();
        }
        catch (Exception e) when (node.Completion.IsFaulted)
        {
            output.WriteLine($"note: the engine's pipeline failed during the test ({e.GetType().Name}: {e.Message})");
        }
    }
}
