using Engine.Host.Cli;

namespace Engine.Host.Tests.Cli;

public sealed class KafkaClientEnvironmentTests
{
    [Fact]
    public void The_operator_commands_read_the_same_Kafka_client_variables_as_a_node()
    {
        // Harmless to other tests of this process (a client id), and removed at once.
        const string variable = "Kafka__Client__client.id";
        var value = "engine-test-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, value);
        try
        {
            Assert.Equal(value, KafkaClientEnvironment.Read()["client.id"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
        Assert.False(KafkaClientEnvironment.Read().ContainsKey("client.id"));
    }
}
