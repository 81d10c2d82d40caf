using System.Diagnostics;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using HdrHistogram;
using StackExchange.Redis;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// The naive way to build the engine, for the side-by-side ratio: one consumer loop, and per event a Redis round trip
/// to read the user's features, the same decisions with the same models (recommendation, bid, churn scored on every
/// event), a Redis round trip to write the features back, and a produce per decision. No actors, no batching. Its
/// feature keys live under their own prefix (<paramref name="keyPrefix"/>) so it never shares state with the engine.
/// </summary>
internal sealed class NaiveBaseline(string bootstrap, IConnectionMultiplexer redis, DecisionModels models, ICampaignBoard board, string keyPrefix)
{
    public sealed record Result(long Events, double Seconds, double EventsPerSec, LongHistogram LatencyMicros);

    public long Processed { get; private set; }

    public async Task<Result> RunAsync(int events, CancellationToken cancellationToken)
    {
        var store = new FeatureStore(redis, new FeatureStoreOptions { KeyPrefix = keyPrefix }, new FeatureMetrics());
        var decider = new UserDecider(models, new DecisionSettings(), board);
        var topics = new DecisionTopics();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = "bench-baseline", AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 1 }).Build();
        consumer.Subscribe(Topics.Clickstream);
        var latency = new LongHistogram(1, TimeStamp.Hours(1), 3);
        var episodes = new Dictionary<string, ChurnEpisode>(StringComparer.Ordinal);
        Stopwatch? clock = null;
        while (Processed < events && !cancellationToken.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null) continue;
            clock ??= Stopwatch.StartNew();
            Processed++;
            if (ClickEventCodec.Decode(record.Message.Value).Event is not { } evt) continue;
            var user = await store.LoadUserAsync(evt.UserId);
            user.Apply(evt, new EventPosition(record.Partition.Value, record.Offset.Value));
            var decisions = new List<IDecision>(2);
            var memo = new RecommendationMemo();
            if (evt.Type is EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase &&
                decider.Recommend(user, evt, new HashSet<string>(), ref memo) is { } recommendation)
                decisions.Add(recommendation);
            if (evt.Type == EventType.BidRequest) decisions.Add(decider.Bid(user, evt, DateTimeOffset.UtcNow));
            var churn = episodes.GetValueOrDefault(evt.UserId);
            if (decider.CheckChurn(user, ref churn, evt.EventTime, evt.EventId) is { } alert) decisions.Add(alert);
            episodes[evt.UserId] = churn;
            var changes = user.DrainChanges();
            if (!changes.IsEmpty)
                await store.FlushAsync(new FeatureBatch(Topics.Clickstream, new Dictionary<int, long> { [record.Partition.Value] = record.Offset.Value },
                    [new EntityWrite(EntityKind.User, evt.UserId, changes)]), cancellationToken);
            foreach (var decision in decisions)
            {
                var produced = topics.Record(decision);
                producer.Produce(produced.Topic, new Message<byte[], byte[]> { Key = produced.Key!, Value = produced.Value! });
            }
            if (decisions.Count > 0)
                latency.RecordValue(Math.Max(1, (long)(DateTime.UtcNow - record.Message.Timestamp.UtcDateTime).TotalMicroseconds));
        }
        producer.Flush(cancellationToken);
        consumer.Close();
        var seconds = clock?.Elapsed.TotalSeconds ?? 0;
        return new Result(Processed, seconds, seconds > 0 ? Processed / seconds : 0, latency);
    }
}
