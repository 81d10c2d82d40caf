using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Host.Embedded;
using Engine.Host.Tests.Cli;
using Engine.Host.Web;
using Engine.Models.Contracts;

namespace Engine.Host.Tests.Web;

[Collection(EngineProcesses.Name)]
public sealed class LiveFeedTests
{
    /// <summary>
    /// The broker away when the feed starts: it tries again and then shows decisions. Before 2026-12-06 the first Kafka error
    /// ended the feed for the node's life, silently, and the page showed no decisions as if none were made (review).
    /// </summary>
    [Fact]
    public async Task A_feed_started_while_the_broker_is_away_shows_decisions_once_it_is_back()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 1);
        var broker = Assert.Single(kafka.BrokerIds);
        kafka.SetBrokerDown(broker);
        await using var feed = new LiveFeed(kafka.BootstrapServers, new Dictionary<string, string>(), new DecisionTopics());
        var page = feed.Subscribe();
        await Task.Delay(TimeSpan.FromSeconds(12)); // the feed's first look at the topics times out (10 s)
        kafka.SetBrokerUp(broker);

        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        using var seen = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var shown = Task.Run(async () => await page.ReadAsync(seen.Token));
        while (!shown.IsCompleted && !seen.IsCancellationRequested)
        {
            producer.Produce(Topics.Recommendations, new Message<Null, string> { Value = """{"decision_id":"r-1"}""" });
            await Task.WhenAny(shown, Task.Delay(500));
        }

        var decision = await shown;
        Assert.Equal("recommendation", decision.Kind);
    }
}
