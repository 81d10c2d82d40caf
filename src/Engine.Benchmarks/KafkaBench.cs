using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Engine.Host.Embedded;

namespace Engine.Benchmarks;

/// <summary>
/// Our Kafka stages against a plain Confluent.Kafka loop on the embedded broker, same message count, payload and
/// client settings, interleaved over a few rounds (medians reported). Ratio = stage / plain; the goal is >= 0.5.
/// </summary>
public sealed class KafkaBench : IBenchSuite
{
    private const int PayloadBytes = 100;
    // The mock keeps ~5 MB per partition: 64 partitions hold 1M x 100 B without dropping any.
    private const int Partitions = 64;
    // As the e2e bench's topics.
    private const int LatencyPartitions = 4;

    public string Name => "kafka";
    public string Description => "consume/produce throughput: our Akka.Streams stages vs a plain Confluent loop (embedded broker)";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Quick ? 100_000 : 1_000_000;
        var rounds = context.Quick ? 1 : 5;
        await using var kafka = new EmbeddedKafka(brokers: 1);
        using var system = ActorSystem.Create("kafka-bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var materializer = system.Materializer();
        var payload = Enumerable.Range(0, PayloadBytes).Select(i => (byte)i).ToArray();
        var keys = Enumerable.Range(0, 1024).Select(i => BitConverter.GetBytes((long)i)).ToArray();

        string Topic(string name, int partitions = Partitions)
        {
            var topic = $"bench-{name}-{Guid.NewGuid():N}";
            kafka.CreateTopic(topic, partitions);
            return topic;
        }

        // Warm-up (JIT, connections) on a tenth of the volume; not reported.
        var warm = new KafkaBenchRuns(kafka.BootstrapServers, materializer, count / 10, payload, keys);
        var (warmPlain, warmStage) = (Topic("warm-plain"), Topic("warm-stage"));
        warm.ProducePlain(warmPlain);
        await warm.ProduceStageAsync(warmStage);
        warm.ConsumePlain(warmPlain);
        await warm.ConsumeStageAsync(warmStage);

        var runs = new KafkaBenchRuns(kafka.BootstrapServers, materializer, count, payload, keys);
        var (producePlain, produceStage, consumePlain, consumeStage) = (new List<Measured>(), new List<Measured>(), new List<Measured>(), new List<Measured>());
        for (var round = 0; round < rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (plainTopic, stageTopic) = (Topic("plain"), Topic("stage"));
            // Alternate who goes first, so warming and background load do not favour one side.
            if (round % 2 == 0)
            {
                producePlain.Add(runs.ProducePlain(plainTopic));
                produceStage.Add(await runs.ProduceStageAsync(stageTopic));
                consumePlain.Add(runs.ConsumePlain(plainTopic));
                consumeStage.Add(await runs.ConsumeStageAsync(stageTopic));
            }
            else
            {
                produceStage.Add(await runs.ProduceStageAsync(stageTopic));
                producePlain.Add(runs.ProducePlain(plainTopic));
                consumeStage.Add(await runs.ConsumeStageAsync(stageTopic));
                consumePlain.Add(runs.ConsumePlain(plainTopic));
            }
            Console.WriteLine($"round {round + 1}/{rounds}: produce stage {produceStage[^1].MsgsPerSec:N0} plain {producePlain[^1].MsgsPerSec:N0}; " +
                $"consume stage {consumeStage[^1].MsgsPerSec:N0} plain {consumePlain[^1].MsgsPerSec:N0} msgs/s");
        }

        var consume = Pair(consumeStage, consumePlain);
        var produce = Pair(produceStage, producePlain);
        var latencyRuns = new KafkaBenchLatency(kafka.BootstrapServers, () => Topic("latency", LatencyPartitions));
        var seconds = TimeSpan.FromSeconds(context.Quick ? 3 : 10);
        // (fetch wait, producer linger, rate): the old and the current embedded fetch wait; the default linger and none.
        var latency = new (int FetchWaitMs, double LingerMs, int Rate)[] { (10, 1, 1_000), (2, 1, 1_000), (2, 0, 1_000), (2, 1, 10_000), (2, 0, 10_000) }
            .Select(run => latencyRuns.Run(run.FetchWaitMs, run.LingerMs, run.Rate, seconds)).ToList();
        foreach (var l in latency)
            Console.WriteLine($"latency at {l.Rate:N0}/s, fetch.wait.max.ms {l.FetchWaitMs}, linger.ms {l.LingerMs}: p50 {l.P50Ms} ms, p99 {l.P99Ms} ms, p99.9 {l.P999Ms} ms");
        var json = new Dictionary<string, object>
        {
            ["consume"] = consume,
            ["produce"] = produce,
            ["messages"] = count,
            ["message_bytes"] = PayloadBytes,
            ["partitions"] = Partitions,
            ["rounds"] = rounds,
            ["broker"] = "embedded librdkafka mock cluster (development and test broker), 1 broker",
            ["latency"] = latency.Select(l => new Dictionary<string, object>
            {
                ["fetch_wait_max_ms"] = l.FetchWaitMs, ["linger_ms"] = l.LingerMs, ["rate"] = l.Rate, ["messages"] = l.Messages,
                ["p50_ms"] = l.P50Ms, ["p99_ms"] = l.P99Ms, ["p999_ms"] = l.P999Ms,
            }).ToList(),
        };
        return new BenchResult(json, Markdown(consume, produce, count, rounds, latency));
    }

    private static Dictionary<string, object> Pair(List<Measured> stage, List<Measured> plain)
    {
        var (s, p) = (Median(stage.Select(m => m.MsgsPerSec)), Median(plain.Select(m => m.MsgsPerSec)));
        var (sCpu, pCpu) = (Median(stage.Select(m => m.CpuMicrosPerMsg)), Median(plain.Select(m => m.CpuMicrosPerMsg)));
        return new Dictionary<string, object>
        {
            ["stage_msgs_per_sec"] = Math.Round(s),
            ["plain_msgs_per_sec"] = Math.Round(p),
            ["ratio"] = Math.Round(s / p, 3),
            // Process CPU (client, librdkafka and the in-process mock broker) per message: less sensitive to other load.
            ["stage_cpu_us_per_msg"] = Math.Round(sCpu, 2),
            ["plain_cpu_us_per_msg"] = Math.Round(pCpu, 2),
            ["stage_rounds_msgs_per_sec"] = stage.Select(m => Math.Round(m.MsgsPerSec)).ToList(),
            ["plain_rounds_msgs_per_sec"] = plain.Select(m => Math.Round(m.MsgsPerSec)).ToList(),
        };
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Markdown(Dictionary<string, object> consume, Dictionary<string, object> produce, int count, int rounds,
        List<KafkaBenchLatency.Result> latency)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"# kafka: our stages vs plain Confluent.Kafka ({count:N0} x {PayloadBytes} B, {Partitions} partitions, median of {rounds} round(s))");
        md.AppendLine();
        md.AppendLine("| direction | stage msgs/s | plain msgs/s | ratio (stage/plain, goal >= 0.5) | stage CPU µs/msg | plain CPU µs/msg |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, row) in new[] { ("consume", consume), ("produce", produce) })
            md.AppendLine(inv, $"| {name} | {row["stage_msgs_per_sec"]:N0} | {row["plain_msgs_per_sec"]:N0} | {row["ratio"]:0.00} | " +
                $"{row["stage_cpu_us_per_msg"]:0.00} | {row["plain_cpu_us_per_msg"]:0.00} |");
        md.AppendLine();
        md.AppendLine("Embedded broker (librdkafka mock cluster, development and test only, in this process: its CPU counts on both sides); " +
            "idempotent producer, acks=all, linger 5 ms on both sides. Consume is timed from the first message (group join excluded).");
        md.AppendLine();
        md.AppendLine(inv, $"## Broker latency alone (plain clients, one consumer, {LatencyPartitions} partitions, Poisson arrivals stamped at their schedule, nothing else running)");
        md.AppendLine();
        md.AppendLine("| fetch.wait.max.ms | producer linger.ms | rate/s | messages | p50 ms | p99 ms | p99.9 ms |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var l in latency) md.AppendLine(inv, $"| {l.FetchWaitMs} | {l.LingerMs} | {l.Rate:N0} | {l.Messages:N0} | {l.P50Ms} | {l.P99Ms} | {l.P999Ms} |");
        md.AppendLine();
        md.AppendLine("The mock broker holds a fetch that finds no data for the full fetch.wait.max.ms, so this is the floor under the engine's " +
            "Kafka hop (kafka_to_poll in bench e2e) on the embedded broker: the embedded runs use 2 ms; the e2e input producer and the engine's decisions linger 1 ms (0 is the engine's low-latency option). " +
            "A producer sending one record at a time without lingering makes a request per record: at 10,000 a second that outruns the mock's one thread " +
            "(the last row; the engine's producers send each batch's records together, so with linger.ms 0 they still batch under load).");
        return md.ToString();
    }
}
