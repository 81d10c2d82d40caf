using Engine.Host.Cli;
using Engine.Host.Configuration;
using Engine.Host.Embedded;
using Engine.Models.Contracts;
using Engine.Testing.Redis;
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
    /// Redis refusing the node's password is a setting to fix (exit 2, naming the settings), not a dependency to wait for:
    /// before 2026-12-06 it was exit 3, and a supervisor restarted the node for ever.
    /// </summary>
    [Fact]
    public async Task A_redis_that_refuses_the_nodes_password_is_a_setting_to_fix_for_exit_code_2()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        using var redis = new RedisServerProcess(password: "the-right-one");
        await redis.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers, ["Kafka:Partitions"] = "2", ["Redis:Endpoint"] = redis.Endpoint,
            ["Redis:Password"] = "not-to-be-printed", ["Http:Port"] = "-1", ["Privacy:AllowDevelopmentKey"] = "true",
        }).Build();

        var error = await Assert.ThrowsAsync<ConfigurationError>(() => NodeRunner.RunAsync(configuration, embedded: false, addresses: null, CancellationToken.None));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("Redis:User, Redis:Password, Redis:Tls: Redis at " + redis.Endpoint + " refused the node's credentials", problem);
        Assert.DoesNotContain("not-to-be-printed", problem);
    }

    /// <summary>
    /// Kafka refusing the node a topic it reads (an ACL) is a setting to fix (exit 2, naming the topic): before 2026-12-06
    /// it was exit 3, and a supervisor restarted the node, which joined and left the cluster each time, for ever.
    /// </summary>
    [Fact]
    public async Task A_kafka_that_refuses_the_node_a_topic_is_a_setting_to_fix_for_exit_code_2()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        kafka.SetTopicError(Topics.BidAdjustments, Confluent.Kafka.ErrorCode.TopicAuthorizationFailed);
        using var garnet = new EmbeddedGarnet();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers, ["Kafka:Partitions"] = "2", ["Redis:Endpoint"] = garnet.Endpoint,
            ["Http:Port"] = "-1", ["Privacy:AllowDevelopmentKey"] = "true",
        }).Build();

        var error = await Assert.ThrowsAsync<ConfigurationError>(() => NodeRunner.RunAsync(configuration, embedded: false, addresses: null, CancellationToken.None))
            .WaitAsync(TimeSpan.FromSeconds(90));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith($"Kafka:Client: Kafka at {kafka.BootstrapServers} refused the node (TopicAuthorizationFailed", problem);
        Assert.Contains(Topics.BidAdjustments, problem);
    }

    /// <summary>
    /// A broker that refuses the node's login (here SASL asked of the embedded broker, which offers none; in production a
    /// wrong sasl.password after a rotation, or a certificate that fails verification) is a setting to fix for exit 2:
    /// before 2026-12-07 librdkafka's metadata request reported it as Local_Transport, read as "Kafka did not answer",
    /// and a supervisor restarted the node for ever (review).
    /// </summary>
    [Fact]
    public async Task A_kafka_that_refuses_the_nodes_login_is_a_setting_to_fix_for_exit_code_2()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        using var garnet = new EmbeddedGarnet();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = kafka.BootstrapServers, ["Kafka:Partitions"] = "2", ["Redis:Endpoint"] = garnet.Endpoint,
            ["Kafka:Client:security.protocol"] = "SASL_PLAINTEXT", ["Kafka:Client:sasl.mechanism"] = "PLAIN",
            ["Kafka:Client:sasl.username"] = "engine", ["Kafka:Client:sasl.password"] = "not-to-be-printed",
            ["Http:Port"] = "-1", ["Privacy:AllowDevelopmentKey"] = "true",
        }).Build();

        var error = await Assert.ThrowsAsync<ConfigurationError>(() => NodeRunner.RunAsync(configuration, embedded: false, addresses: null, CancellationToken.None))
            .WaitAsync(TimeSpan.FromSeconds(90));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith($"Kafka:Client: Kafka at {kafka.BootstrapServers} refused the node (Local_Authentication", problem);
        Assert.DoesNotContain("not-to-be-printed", problem);
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
