using System.CommandLine;
using Engine.Host.Embedded;
using Engine.Models.Contracts;

namespace Engine.Host.Cli;

/// <summary>
/// <c>engine kafka</c>: runs the development and test broker (librdkafka mock cluster) on its own, with the engine's
/// topics created, until Ctrl+C; point any Kafka client at the printed bootstrap servers.
/// </summary>
public static class EmbeddedKafkaCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "Mock brokers (ids 1..N)", DefaultValueFactory = _ => 1 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per engine topic", DefaultValueFactory = _ => 8 };
        var command = new Command("kafka",
            "Run the embedded Kafka (development and test broker: librdkafka's in-memory mock cluster) with the engine's topics.\n" +
            "Never for production: it keeps ~5 MB per partition and forgets everything on exit.\n" +
            "Example: ./engine kafka --partitions 8")
        {
            brokers, partitions,
        };
        command.SetAction(async (parse, ct) =>
        {
            await using var kafka = new EmbeddedKafka(parse.GetValue(brokers));
            kafka.CreateTopics(Topics.All, parse.GetValue(partitions));
            Console.WriteLine($"embedded Kafka (development and test broker) at {kafka.BootstrapServers}");
            Console.WriteLine($"topics ({parse.GetValue(partitions)} partitions each): {string.Join(", ", Topics.All)}");
            Console.WriteLine("Ctrl+C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: dispose the cluster and exit normally.
            }
        });
        return command;
    }
}
