using Engine.Host.Configuration;
using Engine.Host.Demo;
using Engine.Host.Embedded;
using Engine.Models.Contracts;

namespace Engine.Host.Tests.Demo;

[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class InfrastructureTopicsTests
{
    [Fact]
    public async Task Input_topics_with_another_partition_count_than_configured_stop_the_start_and_name_the_right_number()
    {
        await using var kafka = new EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 4);

        // Redis is named (not embedded) and never connected to here: only the topics are checked.
        var error = await Assert.ThrowsAsync<ConfigurationError>(() => Infrastructure.StartAsync(kafka.BootstrapServers, "127.0.0.1:1", partitions: 8));
        Assert.Contains(error.Problems, p => p.Contains("Kafka:Partitions (--partitions) is 8, but engine.clickstream has 4 partitions", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("set it to 4", StringComparison.Ordinal));

        await using var matching = await Infrastructure.StartAsync(kafka.BootstrapServers, "127.0.0.1:1", partitions: 4);
        Assert.Equal(kafka.BootstrapServers, matching.KafkaBootstrap);
    }

    [Fact]
    public void The_bookings_and_the_bid_adjustments_renamed_or_not_are_created_compacted_and_no_other_topic_is()
    {
        var topics = Topics.All.Append("shop.adjustments").ToList();
        var specs = Infrastructure.Specifications(topics, 8, Infrastructure.Compacted("shop.adjustments"));
        var compacted = specs.Where(s => s.Configs?.GetValueOrDefault("cleanup.policy") == "compact").Select(s => s.Name).Order().ToList();
        Assert.Equal([Topics.Campaigns, "shop.adjustments"], compacted);
        Assert.All(specs, s => Assert.Equal(8, s.NumPartitions));
    }

    [Fact]
    public async Task Renamed_output_topics_are_created_with_the_engines_own_in_place_of_the_default_names()
    {
        // On the embedded broker (the mock cluster takes no CreateTopics request; on a given Kafka the same list goes to it).
        var outputs = new Engine.Actors.Pipeline.DecisionTopics("shop.recommendations", Topics.BidDecisions, Topics.BidAdjustments, Topics.ChurnAlerts, Topics.DeadLetters);
        await using var infrastructure = await Infrastructure.StartAsync(null, "127.0.0.1:1", partitions: 2, outputTopics: outputs.All);

        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = infrastructure.KafkaBootstrap }).Build();
        var existing = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic).ToHashSet();
        Assert.Contains("shop.recommendations", existing);
        Assert.DoesNotContain(Topics.Recommendations, existing); // a principal allowed to create only the renamed one can start
        Assert.Contains(Topics.Clickstream, existing);
        Assert.Contains(Topics.BidDecisions, existing);
    }

    [Fact]
    public void A_topic_kafka_refuses_to_create_is_named_with_its_reason_and_only_a_passing_refusal_is_retried()
    {
        static Confluent.Kafka.Admin.CreateTopicsException Refused(params (string Topic, Confluent.Kafka.ErrorCode Code)[] results) =>
            new([.. results.Select(r => new Confluent.Kafka.Admin.CreateTopicReport { Topic = r.Topic, Error = new Confluent.Kafka.Error(r.Code, $"because {r.Code}") })]);

        var denied = Assert.IsType<ConfigurationError>(Infrastructure.TopicsNotCreated(
            Refused((Topics.Clickstream, Confluent.Kafka.ErrorCode.TopicAlreadyExists), (Topics.ChurnAlerts, Confluent.Kafka.ErrorCode.TopicAuthorizationFailed)), "broker:9092"));
        var problem = Assert.Single(denied.Problems);
        Assert.Contains("engine.churn-alerts: TopicAuthorizationFailed (because TopicAuthorizationFailed)", problem);
        Assert.DoesNotContain(Topics.Clickstream, problem); // it exists: nothing to do about it
        Assert.Contains("Create them yourself", problem);

        var busy = Infrastructure.TopicsNotCreated(Refused((Topics.ChurnAlerts, Confluent.Kafka.ErrorCode.NotController)), "broker:9092");
        Assert.IsType<StartupUnavailable>(busy);
        Assert.Contains("engine.churn-alerts: NotController", busy.Message);
    }
}
