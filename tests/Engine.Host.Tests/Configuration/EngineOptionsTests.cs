using Engine.Host.Configuration;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Tests.Configuration;

public sealed class EngineOptionsTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["Kafka:BootstrapServers"] = "broker-1:9092,broker-2:9092", ["Redis:Endpoint"] = "redis:6379",
    };

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static ConfigurationError Refused(Dictionary<string, string?> values) =>
        Assert.Throws<ConfigurationError>(() => EngineOptions.Load(Config(values)));

    [Fact]
    public void A_missing_kafka_address_is_named_with_what_to_set()
    {
        var error = Refused(new() { ["Redis:Endpoint"] = "redis:6379" });
        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("Kafka:BootstrapServers is missing", problem);
        Assert.Contains("host:port", problem);
    }

    /// <summary>
    /// What would otherwise fail later, with a stack trace and exit 1: a log level the logging library does not know, a
    /// Kafka client property or value librdkafka refuses. Named, without the value.
    /// </summary>
    [Fact]
    public void A_wrong_log_level_or_kafka_client_property_is_named_at_start_up()
    {
        Assert.Equal("Logging:LogLevel:Default must be one of Trace, Debug, Information, Warning, Error, Critical, None.",
            Assert.Single(Refused(new(Valid) { ["Logging:LogLevel:Default"] = "Warn" }).Problems));
        EngineOptions.Load(Config(new(Valid) { ["Logging:LogLevel:Akka"] = "warning" }));
        // A provider's levels and the console's threshold too (before 2026-12-07 they crashed the start with exit 1 after the topics were made).
        Assert.Equal(["Logging:Console:LogLevel:Default must be one of Trace, Debug, Information, Warning, Error, Critical, None.",
                "Logging:Console:LogToStandardErrorThreshold must be one of Trace, Debug, Information, Warning, Error, Critical, None."],
            Refused(new(Valid) { ["Logging:Console:LogLevel:Default"] = "Warn", ["Logging:Console:LogToStandardErrorThreshold"] = "Warn",
                ["Logging:Console:FormatterName"] = "json" }).Problems);

        var value = Assert.Single(Refused(new(Valid) { ["Kafka:Client:security.protocol"] = "SASL-SSL-not-a-protocol" }).Problems);
        Assert.Equal("Kafka:Client:security.protocol has a value librdkafka refuses: see librdkafka's CONFIGURATION.md for what it takes.", value);
        Assert.DoesNotContain("not-a-protocol", value);
        Assert.StartsWith("Kafka:Client: librdkafka cannot start with these properties", Assert.Single(Refused(new(Valid) { ["Kafka:Client:no.such.property"] = "1" }).Problems));
        EngineOptions.Load(Config(new(Valid) { ["Kafka:Client:security.protocol"] = "plaintext", ["Kafka:Client:linger.ms"] = "5" }));

        // Checked by librdkafka only in a consumer, or in an idempotent producer, as the node builds them (before 2026-12-07 a
        // plain producer passed them, and the node's first consumer or producer threw: a stack trace and exit 1).
        foreach (var (property, setting, named) in new[]
                 {
                     ("max.poll.interval.ms", "30000", "max.poll.interval.ms"), ("fetch.max.bytes", "524288", "fetch.max.bytes"),
                     ("max.in.flight.requests.per.connection", "10", "max.in.flight"),
                 })
            Assert.Contains(named, Assert.Single(Refused(new(Valid) { ["Kafka:Client:" + property] = setting }).Problems));
    }

    /// <summary>The Redis client's configuration string cannot carry a comma (nor edge spaces): refused by name, never echoing the value.</summary>
    [Fact]
    public void A_redis_password_the_client_would_cut_at_a_comma_is_refused_without_printing_it()
    {
        var problem = Assert.Single(Refused(new(Valid) { ["Redis:Password"] = "s3cret,&tail=x" }).Problems);
        Assert.StartsWith("Redis:Password must not contain a comma", problem);
        Assert.DoesNotContain("s3cret", problem);
        Assert.StartsWith("Redis:User", Assert.Single(Refused(new(Valid) { ["Redis:User"] = "app " }).Problems));

        var settings = EngineOptions.Load(Config(new(Valid) { ["Redis:Password"] = "p@ss;w=rd!" })).ToNodeSettings("models");
        var parsed = StackExchange.Redis.ConfigurationOptions.Parse(settings.RedisConfiguration);
        Assert.Equal("p@ss;w=rd!", parsed.Password);
        Assert.Single(parsed.EndPoints);
    }

    [Fact]
    public void The_replicas_a_flush_waits_for_reach_the_feature_store_and_a_count_out_of_range_is_refused()
    {
        var features = EngineOptions.Load(Config(new(Valid) { ["Redis:AcknowledgingReplicas"] = "1", ["Redis:TimeoutMs"] = "800" })).ToNodeSettings("models").Features!;
        Assert.Equal((1, TimeSpan.FromMilliseconds(400), "engine:f:"), (features.AcknowledgingReplicas, features.ReplicaWait, features.KeyPrefix));
        Assert.Equal(0, EngineOptions.Load(Config(Valid)).ToNodeSettings("models").Features!.AcknowledgingReplicas);
        Assert.StartsWith("Redis:AcknowledgingReplicas must be between 0 and 16", Assert.Single(Refused(new(Valid) { ["Redis:AcknowledgingReplicas"] = "17" }).Problems));
    }

    [Fact]
    public void A_kafka_session_timeout_shorter_than_the_clusters_downing_is_refused_in_a_cluster()
    {
        var cluster = new Dictionary<string, string?>(Valid)
        {
            ["Cluster:Hostname"] = "engine-1", ["Cluster:Port"] = "4053",
            ["Cluster:Seeds:0"] = "akka.tcp://engine@engine-1:4053", ["Cluster:Seeds:1"] = "akka.tcp://engine@engine-2:4053",
        };
        Assert.StartsWith("Kafka:Client:session.timeout.ms is 10000: in a cluster keep it at least 35000",
            Assert.Single(Refused(new(cluster) { ["Kafka:Client:session.timeout.ms"] = "10000" }).Problems));
        EngineOptions.Load(Config(new(cluster) { ["Kafka:Client:session.timeout.ms"] = "45000" }));
        // One node: nothing to move but partitions. It starts, but must not join members it finds in Redis (ClusterMembersTests).
        var alone = EngineOptions.Load(Config(new(Valid) { ["Kafka:Client:session.timeout.ms"] = "10000" })).ToNodeSettings("models");
        Assert.StartsWith("Kafka:Client:session.timeout.ms is 10000", alone.Cluster.JoinRefusal);
        Assert.Null(EngineOptions.Load(Config(Valid)).ToNodeSettings("models").Cluster.JoinRefusal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_each_naming_its_setting()
    {
        var error = Refused(new()
        {
            ["Kafka:BootstrapServers"] = "no-port", ["Redis:Endpoint"] = "redis", ["Kafka:Partitions"] = "0", ["Http:Port"] = "70000",
            ["Cluster:Seeds:0"] = "engine-1:4053",
        });
        foreach (var setting in new[] { "Kafka:BootstrapServers", "Redis:Endpoint", "Kafka:Partitions", "Http:Port", "Cluster:Seeds:0" })
            Assert.Contains(error.Problems, p => p.StartsWith(setting, StringComparison.Ordinal));
        Assert.Equal(5, error.Problems.Count);
    }

    /// <summary>
    /// The validator skips a section's own checks once one of its attributes fails: before 2026-12-07 the partitioner came
    /// up only after the partition count was fixed and the node restarted (review).
    /// </summary>
    [Fact]
    public void A_sections_own_checks_are_reported_beside_its_failed_attributes()
    {
        var problems = Refused(new(Valid) { ["Kafka:Partitions"] = "0", ["Kafka:Client:partitioner"] = "consistent" }).Problems;
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Kafka:Partitions", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Kafka:Client:partitioner", StringComparison.Ordinal));
    }

    /// <summary>Kestrel listens on every interface for a name that is not an address or localhost (review, 2026-12-07).</summary>
    [Fact]
    public void A_host_name_to_listen_on_is_refused_and_addresses_and_localhost_are_read()
    {
        Assert.StartsWith("Http:Host must be an IP address", Assert.Single(Refused(new(Valid) { ["Http:Host"] = "engine-1.internal" }).Problems));
        foreach (var (host, address) in new[] { ("localhost", "127.0.0.1"), ("::", "::"), ("10.0.0.7", "10.0.0.7"), ("0.0.0.0", "0.0.0.0"), ("*", "::") })
            Assert.Equal(address, EngineOptions.Load(Config(new(Valid) { ["Http:Host"] = host })).Http.ListenAddress?.ToString());
    }

    [Fact]
    public void A_single_seed_where_a_list_is_expected_is_refused_and_an_indexed_one_is_read()
    {
        // Before 2026-12-06 Cluster__Seeds=akka.tcp://... bound to no seed: the node quietly formed a cluster of its own.
        var problem = Assert.Single(Refused(new(Valid) { ["Cluster:Seeds"] = "akka.tcp://engine@engine-1:4053" }).Problems);
        Assert.StartsWith("Cluster:Seeds must be a list", problem);
        Assert.Contains("Cluster__Seeds__0=", problem);

        var options = EngineOptions.Load(Config(new(Valid) { ["Cluster:Seeds:0"] = "akka.tcp://engine@engine-1:4053" }));
        Assert.Equal(["akka.tcp://engine@engine-1:4053"], options.Cluster.Seeds);
    }

    [Fact]
    public void An_empty_output_topic_or_one_named_as_an_input_is_refused_by_its_setting()
    {
        // Before 2026-12-06 the validator did not descend into Kafka:Topics: the empty name reached Kafka at start-up.
        var problems = Refused(new(Valid) { ["Kafka:Topics:DeadLetters"] = "", ["Kafka:Topics:ChurnAlerts"] = "engine.clickstream" }).Problems;
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Kafka:Topics:DeadLetters must name a topic", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Kafka:Topics:ChurnAlerts is engine.clickstream, an input topic", StringComparison.Ordinal));

        Assert.Equal("crm.churn", EngineOptions.Load(Config(new(Valid) { ["Kafka:Topics:ChurnAlerts"] = "crm.churn" })).Kafka.Topics.ChurnAlerts);
    }

    [Fact]
    public void Another_partitioner_than_murmur2_is_refused_by_name_and_murmur2_is_allowed()
    {
        var error = Refused(new(Valid) { ["Kafka:Client:partitioner"] = "consistent_random" });
        Assert.StartsWith("Kafka:Client:partitioner must be murmur2_random", Assert.Single(error.Problems));
        Assert.NotNull(EngineOptions.Load(Config(new(Valid) { ["Kafka:Client:partitioner"] = "murmur2_random" })));
    }

    [Fact]
    public void A_recommendation_experiment_is_off_by_default_and_bound_and_checked_when_set()
    {
        Assert.Null(EngineOptions.Load(Config(new(Valid))).ToNodeSettings("models").RecommendationExperiment);

        var experiment = EngineOptions.Load(Config(new(Valid)
        {
            ["Experiments:Recommendations:Mode"] = "Split", ["Experiments:Recommendations:ChallengerShare"] = "0.2",
        })).ToNodeSettings("models").RecommendationExperiment!;
        Assert.Equal(Engine.Models.Experiments.ExperimentMode.Split, experiment.Mode);
        Assert.Equal(0.2, experiment.Variants[1].Share);

        var error = Refused(new(Valid) { ["Experiments:Recommendations:Mode"] = "Shadow", ["Experiments:Recommendations:ChallengerShare"] = "1.5" });
        Assert.StartsWith("Experiments:Recommendations:ChallengerShare must be between 0 and 1", Assert.Single(error.Problems));
    }

    [Fact]
    public void Bid_and_churn_experiments_share_the_shape_and_are_checked_by_their_full_setting()
    {
        var settings = EngineOptions.Load(Config(new(Valid))).ToNodeSettings("models");
        Assert.Null(settings.BidExperiment);
        Assert.Null(settings.ChurnExperiment);

        settings = EngineOptions.Load(Config(new(Valid)
        {
            ["Experiments:Bids:Mode"] = "Shadow", ["Experiments:Bids:ChallengerShare"] = "0.1", ["Experiments:Bids:CtrScale"] = "0.7",
            ["Experiments:Churn:Mode"] = "Split", ["Experiments:Churn:Threshold"] = "0.55",
        })).ToNodeSettings("models");
        Assert.Equal((Engine.Models.Experiments.ExperimentMode.Shadow, 0.1, 0.7, "bids-ctr-calibration"),
            (settings.BidExperiment!.Definition.Mode, settings.BidExperiment.Definition.Variants[1].Share, settings.BidExperiment.CtrScale, settings.BidExperiment.Definition.Name));
        Assert.Equal((0.55, 0.5), (settings.ChurnExperiment!.Challenger.Threshold, settings.ChurnExperiment.Challenger.RearmBelow));

        var error = Refused(new(Valid) { ["Experiments:Bids:Mode"] = "Split", ["Experiments:Bids:CtrScale"] = "0", ["Experiments:Churn:Name"] = " " });
        Assert.Equal(["Experiments:Bids:CtrScale must be positive.", "Experiments:Churn:Name must not be empty: it seeds the users' assignment to variants."],
            error.Problems.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Gen0_pacing_is_on_by_default_can_be_turned_off_and_is_checked()
    {
        Assert.Equal(2L << 20, EngineOptions.Load(Config(new(Valid))).ToNodeSettings("models").GcPacing!.Gen0Bytes);
        Assert.False(EngineOptions.Load(Config(new(Valid) { ["Gc:PacingMegabytes"] = "0" })).ToNodeSettings("models").GcPacing!.Enabled);
        Assert.StartsWith("Gc:PacingMegabytes must be between 0 (off) and 1024", Assert.Single(Refused(new(Valid) { ["Gc:PacingMegabytes"] = "-1" }).Problems));
    }

    [Fact]
    public void Lists_are_conflated_under_a_backlog_by_default_can_be_sent_after_every_page_event_and_the_window_is_checked()
    {
        Assert.Equal(512, EngineOptions.Load(Config(new(Valid))).ToNodeSettings("models").ListConflationWindow);
        Assert.Equal(0, EngineOptions.Load(Config(new(Valid) { ["Recommendations:ConflationWindow"] = "0" })).ToNodeSettings("models").ListConflationWindow);
        Assert.StartsWith("Recommendations:ConflationWindow must be between 0", Assert.Single(Refused(new(Valid) { ["Recommendations:ConflationWindow"] = "-1" }).Problems));
    }

    [Fact]
    public void The_disparity_line_is_configurable_and_checked()
    {
        Assert.Equal(0.8, EngineOptions.Load(Config(new(Valid))).ToNodeSettings("models").Fairness!.MinDisparityRatio);
        Assert.Equal(0.9, EngineOptions.Load(Config(new(Valid) { ["Fairness:MinDisparityRatio"] = "0.9" })).ToNodeSettings("models").Fairness!.MinDisparityRatio);
        Assert.Equal("Fairness:MinDisparityRatio must be between 0 and 1.", Assert.Single(Refused(new(Valid) { ["Fairness:MinDisparityRatio"] = "1.2" }).Problems));
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_the_setting_and_type_but_not_the_value()
    {
        var error = Refused(new(Valid) { ["Redis:Database"] = "hunter2" });
        var problem = Assert.Single(error.Problems);
        Assert.Equal("Redis:Database: expected a value of type Int32.", problem);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public void Settings_reach_the_node_secrets_included_but_the_description_shows_none()
    {
        var options = EngineOptions.Load(Config(new(Valid)
        {
            ["Kafka:Client:security.protocol"] = "SASL_SSL", ["Kafka:Client:sasl.mechanism"] = "SCRAM-SHA-512",
            ["Kafka:Client:sasl.username"] = "engine", ["Kafka:Client:sasl.password"] = "kafka-secret-1", ["Redis:Password"] = "redis-secret-2", ["Redis:Tls"] = "true", ["Redis:User"] = "engine",
            ["Cluster:Hostname"] = "engine-1", ["Cluster:Port"] = "4053", ["Cluster:Seeds:0"] = "akka.tcp://engine@engine-0:4053",
            ["Kafka:GroupId"] = "engine-prod", ["Kafka:Topics:Recommendations"] = "shop.recs", ["Redis:KeyPrefix"] = "prod:",
        }));
        var node = options.ToNodeSettings("/models");

        Assert.Equal("kafka-secret-1", node.KafkaClient!["sasl.password"]);
        Assert.Contains("password=redis-secret-2", node.RedisConfiguration);
        Assert.Contains("ssl=True", node.RedisConfiguration, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(("engine-1", 4053), (node.Cluster.Hostname, node.Cluster.Port));
        Assert.Equal(["akka.tcp://engine@engine-0:4053"], node.Cluster.Seeds!);
        Assert.Equal(("engine-prod", "shop.recs", "prod:f:", "prod:churn:", "prod:cluster:"),
            (node.GroupId, node.EffectiveTopics.Recommendations, node.Features!.KeyPrefix, node.ChurnKeyPrefix, node.ClusterKeyPrefix));

        var described = options.Describe();
        Assert.DoesNotContain("kafka-secret-1", described);
        Assert.DoesNotContain("redis-secret-2", described);
        Assert.Contains("sasl.password", described); // the key is shown, so an operator sees it was passed
        Assert.Contains("password set", described);
    }

    [Fact]
    public void Flags_win_over_a_config_file_which_wins_over_appsettings()
    {
        var file = new FileInfo(Path.Combine(Path.GetTempPath(), $"engine-config-{Guid.NewGuid():N}.json"));
        File.WriteAllText(file.FullName, """{ "Kafka": { "GroupId": "from-file", "Partitions": 3 } }""");
        try
        {
            var options = EngineOptions.Load(EngineConfiguration.Build(file, new Dictionary<string, string?>(Valid) { ["Kafka:GroupId"] = "from-flag" }));
            Assert.Equal(("from-flag", 3, "engine:"), (options.Kafka.GroupId, options.Kafka.Partitions, options.Redis.KeyPrefix));
        }
        finally
        {
            file.Delete();
        }
    }

    /// <summary>
    /// A key no setting reads is named, with the setting it was likely meant for: the binder skipped it silently, and a
    /// misspelt <c>Redis__AcknowledgingReplica</c> ran with no replica acknowledging (review, 2026-12-08). Comments,
    /// librdkafka's properties and the seeds' list take any key.
    /// </summary>
    [Fact]
    public void A_setting_no_option_reads_is_named_with_the_one_meant()
    {
        Assert.Equal("Redis:AcknowledgingReplica is not a setting (did you mean Redis:AcknowledgingReplicas?): it would be ignored.",
            Assert.Single(Refused(new(Valid) { ["Redis:AcknowledgingReplica"] = "1" }).Problems));
        Assert.Equal("Cluster:Seed is not a setting (did you mean Cluster:Seeds?): it would be ignored.",
            Assert.Single(Refused(new(Valid) { ["Cluster:Seed:0"] = "akka.tcp://engine@node-1:4053" }).Problems));
        Assert.Equal("Kafka:Topics:DeadLetter is not a setting (did you mean Kafka:Topics:DeadLetters?): it would be ignored.",
            Assert.Single(Refused(new(Valid) { ["Kafka:Topics:DeadLetter"] = "dlq" }).Problems));
        Assert.Equal("Gc:Pacing is not a setting: it would be ignored.", Assert.Single(Refused(new(Valid) { ["Gc:Pacing"] = "4" }).Problems));

        var options = EngineOptions.Load(Config(new(Valid)
        {
            ["Redis://Endpoint"] = "a comment", ["kafka:client:linger.ms"] = "5", ["Cluster:Seeds:0"] = "akka.tcp://engine@node-1:4053",
            ["Experiments:Churn:Threshold"] = "0.7", ["redis:acknowledgingreplicas"] = "1",
        }));
        Assert.Equal((1, 0.7), (options.Redis.AcknowledgingReplicas, options.Experiments.Churn.Threshold));
    }

    [Fact]
    public void A_console_log_format_or_rearm_level_out_of_range_is_named()
    {
        Assert.Equal("Logging:Console:FormatterName must be one of simple, json, systemd.",
            Assert.Single(Refused(new(Valid) { ["Logging:Console:FormatterName"] = "jsn" }).Problems));
        EngineOptions.Load(Config(new(Valid) { ["Logging:Console:FormatterName"] = "JSON" }));
        Assert.Equal("Experiments:Churn:RearmBelow must be between 0 and 1.",
            Assert.Single(Refused(new(Valid) { ["Experiments:Churn:RearmBelow"] = "NaN" }).Problems));
    }

    [Fact]
    public void A_config_file_that_does_not_exist_is_refused_by_name()
    {
        var error = Assert.Throws<ConfigurationError>(() => EngineConfiguration.Build(new FileInfo("/nonexistent/prod.json"), new Dictionary<string, string?>()));
        Assert.Contains("--config: /nonexistent/prod.json does not exist", Assert.Single(error.Problems));
    }
}
