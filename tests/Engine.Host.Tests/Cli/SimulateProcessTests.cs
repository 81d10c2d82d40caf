using Engine.Host.Embedded;
using Engine.Models.Contracts;

namespace Engine.Host.Tests.Cli;

[Collection(EngineProcesses.Name)]
public sealed class SimulateProcessTests
{
    /// <summary>
    /// A Kafka that refuses the campaign specs (no WRITE on engine.campaigns): one line naming the topic and the refusal, exit
    /// 1. Before 2026-12-07 the publish was unguarded: a stack trace (or, against a Kafka away, 300 s deaf to Ctrl+C).
    /// </summary>
    [Fact]
    public async Task Campaign_specs_kafka_refuses_end_the_run_with_one_line_and_exit_1()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics([Topics.Campaigns, Topics.Clickstream], 1);
        kafka.SetTopicError(Topics.Campaigns, Confluent.Kafka.ErrorCode.TopicAuthorizationFailed);

        using var simulate = EngineProcess.Start(["simulate", "--kafka", kafka.BootstrapServers, "--events", "10", "--campaigns", "2"]);

        Assert.Equal(1, await simulate.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains($"simulate: the campaign specs could not be sent to {Topics.Campaigns}", simulate.Output);
        Assert.DoesNotContain("Unhandled exception", simulate.Output);
        Assert.DoesNotContain("   at ", simulate.Output);
    }
}
