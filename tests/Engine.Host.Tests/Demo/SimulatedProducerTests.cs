using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Models.Contracts;

namespace Engine.Host.Tests.Demo;

public sealed class SimulatedProducerTests
{
    [Fact]
    public async Task Events_Kafka_did_not_acknowledge_are_counted_as_failed_not_as_sent()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics([Topics.Clickstream], 2);
        var options = new DemoOptions(Events: 50, Users: 20, Campaigns: 2, Partitions: 2, MalformedShare: 0);
        var client = new Dictionary<string, string> { ["message.timeout.ms"] = "1000" };

        var delivered = new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options, client: client);
        await delivered.RunAsync(CancellationToken.None);
        Assert.Equal((50, 0), (delivered.Produced, delivered.Failed));

        foreach (var broker in kafka.BrokerIds) kafka.SetBrokerDown(broker);
        var lost = new SimulatedProducer(kafka.BootstrapServers, Topics.Clickstream, options, client: client);
        await lost.RunAsync(CancellationToken.None);
        Assert.Equal((50, 50), (lost.Produced, lost.Failed));
        Assert.NotNull(lost.FirstError);
    }
}
