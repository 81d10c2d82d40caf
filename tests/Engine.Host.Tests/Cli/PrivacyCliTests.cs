using Confluent.Kafka;
using Engine.Host.Cli;
using Engine.Host.Embedded;
using Engine.Host.Privacy;
using Engine.Models.Contracts;
using Engine.Models.Routing;

namespace Engine.Host.Tests.Cli;

/// <summary>What <c>engine erase</c> and <c>engine consent</c> send (review, 2026-12-06).</summary>
[Collection(EngineProcesses.Name)]
public sealed class PrivacyCliTests
{
    /// <summary>A consent records both choices: a flag left out defaulted to true and granted again what the user had withdrawn.</summary>
    [Fact]
    public void A_consent_without_both_choices_is_refused()
    {
        Assert.NotEmpty(ConsentCommand.Create().Parse(["--user", "u-1", "--personalisation", "false"]).Errors);
        Assert.NotEmpty(ConsentCommand.Create().Parse(["--user", "u-1", "--ad-targeting", "false"]).Errors);
        Assert.Empty(ConsentCommand.Create().Parse(["--user", "u-1", "--personalisation", "false", "--ad-targeting", "true"]).Errors);
    }

    /// <summary>
    /// Requests are keyed by user id and partitioned with murmur2, as the engine and the contract do: with librdkafka's default
    /// (CRC32) one user's erasure and consent could sit on two partitions and be carried out out of order.
    /// </summary>
    [Fact]
    public async Task A_users_requests_go_to_the_partition_murmur2_gives_their_id()
    {
        const int partitions = 8;
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, partitions);
        var requests = new PrivacyRequests(kafka.BootstrapServers);
        var users = Enumerable.Range(0, 12).Select(i => $"user-{i}").ToList();

        foreach (var user in users)
            await requests.SendAsync(new PrivacyRequest
            {
                Type = PrivacyRequestTypes.Erase, RequestId = "r-" + user, UserId = user, RequestedAt = DateTimeOffset.UtcNow,
            }, wait: null, CancellationToken.None);

        using var consumer = new ConsumerBuilder<string, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "read-" + Guid.NewGuid().ToString("N") }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(Topics.Privacy, p, Offset.Beginning)));
        var found = new Dictionary<string, int>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (found.Count < users.Count && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record) found[record.Message.Key] = record.Partition.Value;
        Assert.Equal(users.ToDictionary(u => u, u => KafkaPartitioner.Partition(u, partitions)), found);
    }

    /// <summary>
    /// On a Kafka where no node has created its topics yet: one line saying so and exit 1, not "sent" followed by a stack
    /// trace (review, 2026-12-06).
    /// </summary>
    [Fact]
    public async Task An_erase_on_a_kafka_without_the_engines_topics_says_it_was_not_sent_and_exits_1()
    {
        await using var kafka = new EmbeddedKafka();
        using var erase = EngineProcess.Start(["erase", "--user", "u-1", "--kafka", kafka.BootstrapServers, "--wait", "5"]);

        Assert.Equal(1, await erase.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains("request erase-", erase.Output);
        Assert.Contains($"not sent: {Topics.PrivacyAcks} does not exist", erase.Output);
        Assert.DoesNotContain("sent to engine.privacy", erase.Output);
        Assert.DoesNotContain("   at ", erase.Output);
    }

    /// <summary>
    /// A blank user id is refused before anything is sent: before 2026-12-07 the request went out, the engine dead-lettered
    /// it, and the command waited for an acknowledgement that never came and asked whether an engine was running (a review).
    /// </summary>
    [Theory]
    [InlineData("erase")]
    [InlineData("consent")]
    public async Task A_blank_user_id_is_refused_before_anything_is_sent(string verb)
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 1);
        string[] consent = verb == "consent" ? ["--personalisation", "false", "--ad-targeting", "false"] : [];
        using var command = EngineProcess.Start([verb, "--user", "  ", .. consent, "--kafka", kafka.BootstrapServers, "--wait", "5"]);

        Assert.NotEqual(0, await command.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains("--user must not be blank", command.Output);
        Assert.DoesNotContain($"sent to {Topics.Privacy}", command.Output);
    }

    /// <summary>
    /// Stopped (SIGTERM, as Ctrl+C) while it waits for the acknowledgement: it says the request was sent, not that no
    /// acknowledgement came within the wait, and exits 130 (review, 2026-12-06).
    /// </summary>
    [Fact]
    public async Task An_erase_stopped_while_it_waits_says_the_request_was_sent()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        using var erase = EngineProcess.Start(["erase", "--user", "u-1", "--kafka", kafka.BootstrapServers, "--wait", "60"]);
        await erase.WaitForLineAsync("sent to engine.privacy", TimeSpan.FromSeconds(60));

        erase.Terminate();

        Assert.Equal(130, await erase.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("stopped waiting; request erase-", erase.Output);
        Assert.DoesNotContain("no acknowledgement within", erase.Output);
    }

    /// <summary>Every requester's acknowledgements pass the reader: one that does not parse is not ours, and the wait goes on.</summary>
    [Fact]
    public async Task A_record_on_the_acks_topic_that_is_not_an_acknowledgement_is_passed_over()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        var request = new PrivacyRequest { Type = PrivacyRequestTypes.Erase, RequestId = "r-1", UserId = "u-1", RequestedAt = DateTimeOffset.UtcNow };

        var ack = await new PrivacyRequests(kafka.BootstrapServers).SendAsync(request, TimeSpan.FromSeconds(30), CancellationToken.None, sent: () =>
        {
            producer.Produce(Topics.PrivacyAcks, new Message<Null, string> { Value = "not json" });
            producer.Produce(Topics.PrivacyAcks, new Message<Null, string>
            {
                Value = System.Text.Json.JsonSerializer.Serialize(new PrivacyAck { RequestId = "r-1", Type = PrivacyRequestTypes.Erase, UserId = "u-1", CompletedAt = DateTimeOffset.UtcNow }, EngineJson.Default.PrivacyAck),
            });
            producer.Flush(TimeSpan.FromSeconds(10));
        });

        Assert.Equal("r-1", ack?.RequestId);
    }
}
