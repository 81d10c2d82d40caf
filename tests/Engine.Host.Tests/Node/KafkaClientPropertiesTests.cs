using Confluent.Kafka;
using Engine.Host.Node;

namespace Engine.Host.Tests.Node;

public sealed class KafkaClientPropertiesTests
{
    // Tuning for one kind of client or the other, and (in Client) security for both.
    private static readonly Dictionary<string, string> Tuning = new(StringComparer.Ordinal)
    {
        ["fetch.wait.max.ms"] = "2", ["linger.ms"] = "0", ["acks"] = "all", ["batch.num.messages"] = "500",
    };

    private static readonly Dictionary<string, string> Client = new(Tuning, StringComparer.Ordinal)
    {
        ["security.protocol"] = "SASL_SSL", ["sasl.username"] = "engine",
    };

    [Fact]
    public void Producers_get_what_is_not_a_consumers_and_consumers_what_is_not_a_producers()
    {
        Assert.Equal(["acks", "batch.num.messages", "linger.ms", "sasl.username", "security.protocol"], KafkaClientProperties.ForProducer(Client).Keys.Order());
        Assert.Equal(["fetch.wait.max.ms", "sasl.username", "security.protocol"], KafkaClientProperties.ForConsumer(Client).Keys.Order());
    }

    [Fact]
    public void A_consumer_built_from_the_whole_client_config_warns_and_one_built_from_its_share_does_not()
    {
        // librdkafka says which properties it ignores when the client is built: the reason for the split.
        static List<string> Warnings(IReadOnlyDictionary<string, string> config)
        {
            var warnings = new List<string>();
            using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(config.ToDictionary()) { BootstrapServers = "127.0.0.1:9", GroupId = "g" })
                .SetLogHandler((_, m) => { if (m.Level <= SyslogLevel.Warning) lock (warnings) warnings.Add(m.Message); })
                .Build();
            return warnings;
        }

        // linger.ms is reported by its canonical name.
        // The tuning alone: a SASL consumer would not build without the SASL library.
        Assert.Contains(Warnings(Tuning), w => w.Contains("queue.buffering.max.ms", StringComparison.Ordinal) && w.Contains("producer property", StringComparison.Ordinal));
        Assert.DoesNotContain(Warnings(KafkaClientProperties.ForConsumer(Tuning)), w => w.Contains("producer property", StringComparison.Ordinal));
    }
}
