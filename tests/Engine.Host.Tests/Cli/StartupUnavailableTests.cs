using Engine.Host.Cli;
using Engine.Host.Configuration;
using Engine.Host.Embedded;
using Engine.Models.Contracts;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Tests.Cli;

public sealed class StartupUnavailableTests
{
    /// <summary>
    /// Redis not answering at start-up is not a wrong setting (exit 2, which a supervisor should not retry): one line naming
    /// it and exit code 3. Before, an unhandled exception with a stack trace, advising an <c>abortConnect</c> option the
    /// endpoint check refuses.
    /// </summary>
    [Fact]
    public async Task A_redis_that_does_not_answer_at_start_up_is_named_in_one_line_for_exit_code_3()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers, ["Kafka:Partitions"] = "2", ["Redis:Endpoint"] = "127.0.0.1:1",
            ["Redis:Password"] = "not-to-be-printed", ["Http:Port"] = "-1", ["Privacy:AllowDevelopmentKey"] = "true",
        }).Build();

        var error = await Assert.ThrowsAsync<StartupUnavailable>(() => NodeRunner.RunAsync(configuration, embedded: false, addresses: null, CancellationToken.None));

        Assert.StartsWith("Redis at 127.0.0.1:1 did not answer at start-up", error.Message);
        Assert.DoesNotContain("abortConnect", error.Message);
        Assert.DoesNotContain("not-to-be-printed", error.Message);
    }

    /// <summary>
    /// On external Kafka and Redis, no pseudonym key (or an empty one: a secret that was not injected) stops start-up
    /// before anything is reached: before, the node ran with the public development key and a warning only.
    /// </summary>
    [Fact]
    public async Task On_external_servers_a_missing_pseudonym_key_stops_start_up_before_reaching_them()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "127.0.0.1:1", ["Redis:Endpoint"] = "127.0.0.1:1", ["Http:Port"] = "-1", ["Privacy:PseudonymKey"] = "",
        }).Build();

        var error = await Assert.ThrowsAsync<ConfigurationError>(() => NodeRunner.RunAsync(configuration, embedded: false, addresses: null, CancellationToken.None));

        Assert.StartsWith("Privacy:PseudonymKey is not set", Assert.Single(error.Problems));
    }
}
