using Confluent.Kafka;
using Engine.Host.Cli;
using Engine.Host.Embedded;
using Engine.Host.Privacy;
using Engine.Models.Contracts;
using Engine.Models.Routing;

namespace Engine.Host.Tests.Cli;

/// <summary>What <c>engine erase</c> and <c>engine consent</c> send (review, 2026-12-07).</summary>
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
}
