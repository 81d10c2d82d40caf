using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Engine.Models.Contracts;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Cli;

/// <summary><c>engine run</c> and <c>engine simulate</c> as processes: configuration errors, metrics and health, SIGTERM.</summary>
[Collection(EngineProcesses.Name)]
public sealed class RunProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_bad_flag_stops_start_up_with_exit_code_2_naming_the_setting_and_no_stack_trace()
    {
        using var engine = EngineProcess.Start(["run", "--kafka", "broker-without-port", "--redis", "redis:6379"]);
        Assert.Equal(2, await engine.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Kafka:BootstrapServers must be host:port", engine.Output);
        Assert.DoesNotContain("   at ", engine.Output);
        output.WriteLine(engine.Output);
    }

    /// <summary>A mistyped option, or a value of the wrong kind, is a setting to fix too: exit 2 (before 2026-12-07, System.CommandLine's 1).</summary>
    [Theory]
    [InlineData("--kafak", "localhost:9092")]
    [InlineData("--partitions", "eight")]
    public async Task A_mistyped_option_or_a_value_of_the_wrong_kind_exits_with_code_2_naming_it(string option, string value)
    {
        using var engine = EngineProcess.Start(["run", option, value]);
        Assert.Equal(2, await engine.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(option == "--kafak" ? "--kafak" : "eight", engine.Output);
        output.WriteLine(engine.Output);
    }

    [Fact]
    public async Task Redis_not_answering_at_start_up_exits_with_code_3_and_a_missing_pseudonym_key_with_code_2()
    {
        await using var kafka = new Engine.Host.Embedded.EmbeddedKafka();
        kafka.CreateTopics(Topics.All, 2);
        string[] run = ["run", "--kafka", kafka.BootstrapServers, "--redis", "127.0.0.1:1", "--partitions", "2", "--http-port", "-1"];

        using (var unkeyed = EngineProcess.Start(run))
        {
            Assert.Equal(2, await unkeyed.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Privacy:PseudonymKey is not set", unkeyed.Output);
            output.WriteLine(unkeyed.Output);
        }
        using var engine = EngineProcess.Start(run, new Dictionary<string, string> { ["Privacy__PseudonymKey"] = Convert.ToBase64String(new byte[32]) });
        Assert.Equal(3, await engine.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.Contains("Redis at 127.0.0.1:1 did not answer at start-up", engine.Output);
        Assert.DoesNotContain("   at ", engine.Output);
        output.WriteLine(engine.Output);
    }

    [Fact]
    public async Task A_corrupt_bid_model_or_a_settings_file_that_is_not_json_stops_start_up_with_exit_code_2_and_what_to_do()
    {
        // Before 2026-12-06 only churn/model.onnx was looked at before start-up: a bad bid or recs model threw after the
        // topics were created, as an unhandled exception (stack trace, exit 1: a supervisor restarted it for ever).
        var models = Directory.CreateTempSubdirectory("engine-models-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Engine.Testing.RepoPaths.Root, "models"), "*", SearchOption.AllDirectories))
            {
                var copy = Path.Combine(models, Path.GetRelativePath(Path.Combine(Engine.Testing.RepoPaths.Root, "models"), file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }
            await File.WriteAllBytesAsync(Path.Combine(models, "bid", "model.onnx"), [1, 2, 3]);
            using (var engine = EngineProcess.Start(["run", "--embedded", "--models", models, "--http-port", "-1"]))
            {
                Assert.Equal(2, await engine.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Matches(@"Models:Directory: .*bid/model\.onnx", engine.Output);
                Assert.DoesNotContain("   at ", engine.Output);
                Assert.DoesNotContain("run: Kafka at", engine.Output); // nothing was started
                output.WriteLine(engine.Output);
            }

            var config = Path.Combine(models, "bad.json");
            await File.WriteAllTextAsync(config, "{ \"Kafka\": ");
            using (var engine = EngineProcess.Start(["run", "--embedded", "--config", config, "--http-port", "-1"]))
            {
                Assert.Equal(2, await engine.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("--config: ", engine.Output);
                Assert.Contains("bad.json", engine.Output);
                Assert.DoesNotContain("   at ", engine.Output);
                output.WriteLine(engine.Output);
            }
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public async Task Environment_variables_are_read_and_validated_too()
    {
        using var engine = EngineProcess.Start(["run", "--embedded"], new Dictionary<string, string> { ["Kafka__Partitions"] = "0", ["Cluster__Port"] = "port" });
        Assert.Equal(2, await engine.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Kafka:Partitions must be between 1 and 1024", engine.Output);
        Assert.Contains("Cluster:Port: expected a value of type Int32", engine.Output);
        output.WriteLine(engine.Output);
    }

    [Fact]
    public async Task Serves_metrics_and_health_decides_on_simulated_load_and_stops_cleanly_on_sigterm()
    {
        const string secret = "never-print-this-5f2c";
        var addresses = Path.Combine(Path.GetTempPath(), $"engine-addresses-{Guid.NewGuid():N}.json");
        using var engine = EngineProcess.Start(["run", "--embedded", "--addresses", addresses, "--http-port", "0", "--partitions", "2"],
            new Dictionary<string, string> { ["Kafka__Client__sasl.username"] = "engine", ["Kafka__Client__sasl.password"] = secret, ["Http__Host"] = "127.0.0.1" });
        var url = (await engine.WaitForLineAsync(@"run: serving (http://\S+)", StartTimeout)).Groups[1].Value;
        await engine.WaitForLineAsync("run: consuming", StartTimeout);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));

        var kafka = JsonDocument.Parse(await File.ReadAllTextAsync(addresses)).RootElement.GetProperty("kafka").GetString()!;
        using (var simulate = EngineProcess.Start(["simulate", "--kafka", kafka, "--events", "3000", "--campaigns", "5", "--malformed", "0.01"]))
        {
            Assert.Equal(0, await simulate.WaitForExitAsync(StartTimeout));
            Assert.Contains("simulate: 5 campaign specs sent to engine.campaigns", simulate.Output);
        }
        Assert.Equal(5, CampaignSpecsOn(kafka).Count);

        var metrics = await EventuallyAsync(http, m => Counter(m, "engine_events_in_total", "engine.clickstream") >= 3000);
        Assert.True(Counter(metrics, "engine_decisions_total", "recommendation") > 0, metrics);
        Assert.True(Counter(metrics, "engine_events_dead_lettered_total", "engine.clickstream") > 0, metrics);
        Assert.True(Counter(metrics, "engine_decision_latency_milliseconds_count", null) > 0, metrics);
        foreach (var hop in new[] { "kafka_to_poll", "poll_to_stream", "stream_to_reply", "batch_to_produced", "batch_to_durable" })
            Assert.True(Counter(metrics, "engine_pipeline_hop_milliseconds_count", hop) > 0, hop + "\n" + metrics);
        Assert.True(Counter(metrics, "engine_model_scoring_duration_milliseconds_count", null) > 0, metrics);
        // Counted by the pipelines (before 2026-12-06 only by a write-behind the node no longer runs: never exported).
        Assert.True(Counter(metrics, "engine_features_events_applied_total", null) > 0, metrics);
        Assert.Contains("engine_consumer_lag{", metrics);
        Assert.Contains("engine_redis_round_trip_milliseconds", metrics);
        Assert.Contains("engine_redis_answer_age_seconds", metrics);
        Assert.Contains("engine_gc_paced_collections_total", metrics);
        Assert.Contains("engine_churn_clock_still_seconds{", metrics); // per partition written: how long its churn clock has stood
        Assert.Contains("engine_entities_active{", metrics);
        Assert.Equal(0, Counter(metrics, "engine_pipeline_restarts_total", "engine.clickstream")); // exported, and none here
        Assert.Contains("engine_pipeline_restarts_total{", metrics);
        Assert.Equal(0, Counter(metrics, "engine_kafka_producer_renewals_total", "alerts")); // exported, and none here
        Assert.Contains("engine_kafka_producer_renewals_total{", metrics);
        Assert.Contains("engine_bids_late_dropped_total", metrics); // exported (bid requests answered past their tmax)
        Assert.Contains("engine_privacy_requests_total{", metrics);
        Assert.Equal(0, Counter(metrics, "engine_privacy_requests_total", "acknowledged")); // exported, and none sent here
        Assert.Contains("engine_privacy_waiting", metrics);
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("engine_model_serving{", StringComparison.Ordinal) && l.Contains("model=\"churn\"", StringComparison.Ordinal)
                                                   && l.Contains("version=", StringComparison.Ordinal)); // the version each model serves
        Assert.Contains("engine_model_reloads_total{", metrics); // at 0 from the start, for a rate alert to see the first refusal
        Assert.Contains("engine_privacy_oldest_waiting_seconds", metrics);
        Assert.Contains("engine_kafka_oldest_unacknowledged_seconds", metrics); // a stuck producer's sign
        Assert.True(Counter(metrics, "engine_fairness_opportunities_total", "recommendation") > 0, metrics);
        Assert.True(Counter(metrics, "engine_fairness_decisions_total", "recommendation") > 0, metrics);
        Assert.True(Counter(metrics, "engine_fairness_score_count", "recommendation") > 0, metrics); // score distributions by segment
        // One set of kind labels across the decision and fairness metrics (the fairness counters said "bid" and "churnalert").
        var fairnessKinds = Regex.Matches(metrics, @"^engine_fairness_\w+\{[^}]*kind=""([^""]+)""", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains("recommendation", fairnessKinds); // the pattern finds them at all
        Assert.Subset(new HashSet<string> { "recommendation", "bid_decision", "churn_alert" }, fairnessKinds);
        var ready = await http.GetAsync("/readyz");
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());

        engine.Terminate();
        Assert.Equal(0, await engine.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Matches(@"run: stopped after [\d,]+ events", engine.Output);
        Assert.Contains("sasl.password", engine.Output); // its name is shown: the operator sees it was passed...
        Assert.DoesNotContain(secret, engine.Output);    // ...its value never
        output.WriteLine(engine.Output);
        File.Delete(addresses);
    }

    private static async Task<string> EventuallyAsync(HttpClient http, Func<string, bool> done)
    {
        var metrics = "";
        for (var deadline = DateTime.UtcNow + StartTimeout; DateTime.UtcNow < deadline; await Task.Delay(500))
            if (done(metrics = await http.GetStringAsync("/metrics"))) return metrics;
        throw new TimeoutException("metrics never reached the expected values:\n" + metrics);
    }

    /// <summary>The value of a Prometheus sample whose name is <paramref name="name"/> and whose labels mention <paramref name="label"/>; 0 if absent.</summary>
    private static double Counter(string metrics, string name, string? label) =>
        Regex.Matches(metrics, $@"^{name}(\{{[^}}]*\}})? (\S+)$", RegexOptions.Multiline)
            .Where(m => label is null || m.Groups[1].Value.Contains($"\"{label}\"", StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));

    private static List<CampaignSpec> CampaignSpecsOn(string kafka)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = kafka, GroupId = $"test-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(Topics.Campaigns);
        var specs = new List<CampaignSpec>();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && specs.Count < 5;)
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: { } m })
            {
                var spec = JsonSerializer.Deserialize(m.Value, EngineJson.Default.CampaignSpec)!;
                Assert.Equal(spec.CampaignId, m.Key);
                specs.Add(spec);
            }
        consumer.Close();
        return specs;
    }
}
