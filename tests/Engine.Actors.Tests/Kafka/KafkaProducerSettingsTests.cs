using Engine.Actors.Kafka;

namespace Engine.Actors.Tests.Kafka;

public sealed class KafkaProducerSettingsTests
{
    [Fact]
    public void Lingers_a_millisecond_unless_the_operator_configures_a_linger()
    {
        Assert.Equal(1, new KafkaProducerSettings("k:9092").ToProducerConfig().LingerMs);
        Assert.Equal(3, new KafkaProducerSettings("k:9092", LingerMs: 3).ToProducerConfig().LingerMs);

        // Kafka:Client reaches librdkafka as is: an operator's linger (either name) wins over the flow's default.
        var configured = new KafkaProducerSettings("k:9092", new Dictionary<string, string> { ["linger.ms"] = "0" }).ToProducerConfig();
        Assert.Equal(0, configured.LingerMs);
        // The campaign-event forwards' own longer linger too (they set LingerMs): the operator's value is the one used.
        var forwards = (new KafkaProducerSettings("k:9092", new Dictionary<string, string> { ["linger.ms"] = "0" }) with { LingerMs = 5 }).ToProducerConfig();
        Assert.Equal(0, forwards.LingerMs);
        var alias = new KafkaProducerSettings("k:9092", new Dictionary<string, string> { ["queue.buffering.max.ms"] = "7" }).ToProducerConfig();
        Assert.Equal("7", alias.Get("queue.buffering.max.ms"));
        Assert.Null(alias.Get("linger.ms"));
    }

    [Fact]
    public void Idempotence_and_acks_are_the_flows_whatever_the_client_config_says()
    {
        var config = new KafkaProducerSettings("k:9092", new Dictionary<string, string> { ["enable.idempotence"] = "false", ["acks"] = "1" }).ToProducerConfig();
        Assert.True(config.EnableIdempotence);
        Assert.Equal(Confluent.Kafka.Acks.All, config.Acks);
    }
}
