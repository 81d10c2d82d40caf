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
/// The naive way to build the engine, for the side-by-side ratio: one consumer loop, and per event one Redis round trip
/// to read the user's features, the same decisions with the same models and the same rules as the user actor (a
/// recommendation unless the session's input is unchanged or the list repeats, a bid per bid request, churn scored at most
/// once an hour of event time), one Redis round trip to write the features back (a pipelined HSET, HDEL and PEXPIRE, with
/// no offset guard), the same for the item's slices (the item and its co-visits) and the campaign's delivery where the
/// event has them (since 2026-12-07: before, the baseline kept user features only, less work than the engine's for the same
/// events), and a produce per decision. No actors, no batching, no caching of features. It keeps in memory only
/// what the actor keeps beside its features (the last list's memo, the churn episode and when churn was last scored),
/// so it does no more work per event than the engine. Its feature keys live under their own prefix
/// (<paramref name="keyPrefix"/>) so it never shares state with the engine.
/// </summary>
/// <param name="consumerTuning">The client properties the engine's consumers get on this Kafka (the embedded broker's fetch wait).</param>
internal sealed class NaiveBaseline(string bootstrap, IConnectionMultiplexer redis, DecisionModels models, ICampaignBoard board, string keyPrefix,
    IReadOnlyDictionary<string, string> consumerTuning)
{
    /// <param name="Events">Events measured, after the warm-up's.</param>
    /// <param name="LateBids">Measured bid requests dropped as past their tmax, not priced (as the engine drops them).</param>
    public sealed record Result(long Events, double Seconds, double EventsPerSec, LongHistogram LatencyMicros, long WarmupEvents, long LateBids);

    public long Processed { get; private set; }

    /// <summary>Runs <paramref name="warmup"/> events unmeasured (the JIT, the models' first calls), then measures <paramref name="events"/>.</summary>
    public async Task<Result> RunAsync(int warmup, int events, CancellationToken cancellationToken)
    {
        var store = new FeatureStore(redis, new FeatureStoreOptions { KeyPrefix = keyPrefix }, new FeatureMetrics());
        var decider = new UserDecider(models, new DecisionSettings(), board);
        var topics = new DecisionTopics();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig(consumerTuning.ToDictionary())
        {
            BootstrapServers = bootstrap, GroupId = "bench-baseline", AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 1 }).Build();
        consumer.Subscribe(Topics.Clickstream);
        var latency = new LongHistogram(1, TimeStamp.Hours(1), 3);
        var users = new Dictionary<string, UserMemory>(StringComparer.Ordinal);
        var coVisited = new List<string>(UserFeatureState.SessionItemsKept);
        var db = redis.GetDatabase();
        Stopwatch? clock = null;
        var lateBids = 0L;
        while (Processed < warmup + events && !cancellationToken.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null) continue;
            if (Processed == warmup) clock = Stopwatch.StartNew();
            Processed++;
            if (ClickEventCodec.Decode(record.Message.Value).Event is not { } evt) continue;
            var user = await store.LoadUserAsync(evt.UserId);
            var position = new EventPosition(record.Partition.Value, record.Offset.Value);
            coVisited.Clear();
            var outcome = user.Apply(evt, position, coVisited);
            var memory = users.TryGetValue(evt.UserId, out var known) ? known : users[evt.UserId] = new UserMemory();
            var decisions = new List<IDecision>(2);
            if (evt.Type is EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase &&
                decider.Recommend(user, evt, user.BoughtInSession, ref memory.Recommendation) is { } recommendation)
                decisions.Add(recommendation);
            // As the user actor: a bid request older than its tmax since it reached Kafka is dropped, not priced.
            var now = DateTime.UtcNow;
            var arrived = new DateTimeOffset(Engine.Actors.Pipeline.KafkaArrival.Of(record.Message.Timestamp.UtcDateTime, now).Ticks, TimeSpan.Zero);
            if (evt.Type == EventType.BidRequest)
            {
                if (!Engine.Actors.Users.UserActor.PastTmax(arrived, new DateTimeOffset(now.Ticks, TimeSpan.Zero), evt.BidRequest!))
                    decisions.Add(decider.Bid(user, evt, DateTimeOffset.UtcNow));
                else if (clock is not null) lateBids++;
            }
            if (outcome != ApplyOutcome.Late
                && (memory.Churn == ChurnEpisode.Alerted || evt.EventTime - memory.ChurnScoredAt >= Engine.Actors.Users.UserActor.ChurnRescoreInterval))
            {
                memory.ChurnScoredAt = evt.EventTime;
                if (decider.CheckChurn(user, ref memory.Churn, evt.EventTime, evt.EventId) is { } alert) decisions.Add(alert);
            }
            var changes = user.DrainChanges();
            if (!changes.IsEmpty) await WriteAsync(db, store.Keys.Entity(EntityKind.User, evt.UserId), changes, store.Options.EntityTtl);
            // What the engine keeps beside the user for the same event: the item's slice of this partition with the co-visits
            // of the user's session, and the campaign's delivery (its pacing is left out: the baseline does less, not more).
            if (evt.ItemId is not null) await ApplyItemAsync(db, store, evt, position, coVisited);
            if (EntityRoute.ConcernsCampaign(evt)) await ApplyCampaignAsync(db, store, evt, position);
            // The event's latency ends, as the engine's does, when Kafka has acknowledged its last decision.
            var acks = decisions.Count > 0 ? new PendingAcks(decisions.Count, record.Message.Timestamp.UtcDateTime, clock is null ? null : latency) : null;
            foreach (var decision in decisions)
            {
                var produced = topics.Record(decision);
                producer.Produce(produced.Topic, new Message<byte[], byte[]> { Key = produced.Key!, Value = produced.Value! }, acks!.Acknowledged);
            }
        }
        producer.Flush(cancellationToken);
        // Before the consumer's close, which commits and leaves the group: the engine's figure leaves its shutdown out too.
        var seconds = clock?.Elapsed.TotalSeconds ?? 0;
        consumer.Close();
        var measured = Math.Max(0, Processed - warmup);
        return new Result(measured, seconds, seconds > 0 ? measured / seconds : 0, latency, Math.Min(Processed, warmup), lateBids);
    }

    /// <summary>
    /// One event's decisions on their way to Kafka: its latency is recorded at the last one's delivery report (on the
    /// producer's poll thread, hence the lock), into <paramref name="measuredInto"/> (null: a warm-up event).
    /// </summary>
    private sealed class PendingAcks(int decisions, DateTime kafkaUtc, LongHistogram? measuredInto)
    {
        private int _left = decisions;

        public void Acknowledged(DeliveryReport<byte[], byte[]> report)
        {
            if (Interlocked.Decrement(ref _left) != 0 || measuredInto is null || report.Error.IsError) return;
            var micros = Math.Max(1, (long)(DateTime.UtcNow - kafkaUtc).TotalMicroseconds);
            lock (measuredInto) measuredInto.RecordValue(micros);
        }
    }

    /// <summary>
    /// The item's slice and its co-visited items' slices, read in one pipelined round trip and written back in another, each
    /// slice listed in its item's hash as the engine's flush lists it.
    /// </summary>
    private static async Task ApplyItemAsync(IDatabase db, FeatureStore store, ClickEvent evt, EventPosition position, List<string> coVisited)
    {
        var wanted = new List<(string Item, int Slice)>(1 + coVisited.Count) { (evt.ItemId!, position.Partition) };
        foreach (var other in coVisited)
            if (other != evt.ItemId && !wanted.Contains((other, position.Partition))) wanted.Add((other, position.Partition));
        var slices = await store.LoadItemSlicesAsync(wanted);
        var index = new ItemSliceIndex();
        foreach (var slice in slices) index.Add(slice);
        index.Apply(evt, position, coVisited, static (_, _) => { });
        var batch = db.CreateBatch();
        var writes = new List<Task>();
        foreach (var slice in slices)
        {
            var changes = slice.DrainChanges();
            if (changes.IsEmpty) continue;
            Write(batch, writes, store.Keys.ItemSlice(slice.Id, position.Partition), changes, store.Options.EntityTtl);
            if (!changes.RenewTtl) continue;
            var item = store.Keys.Entity(EntityKind.Item, slice.Id);
            writes.Add(batch.HashSetAsync(item, ItemSlices.IndexField(position.Partition), "1"));
            writes.Add(batch.KeyExpireAsync(item, store.Options.EntityTtl));
        }
        batch.Execute();
        await Task.WhenAll(writes);
    }

    /// <summary>The campaign's delivery: one round trip to read it, one to write it.</summary>
    private static async Task ApplyCampaignAsync(IDatabase db, FeatureStore store, ClickEvent evt, EventPosition position)
    {
        var campaign = await store.LoadCampaignAsync(evt.CampaignId!);
        campaign.Apply(evt, position);
        var changes = campaign.DrainChanges();
        if (!changes.IsEmpty) await WriteAsync(db, store.Keys.Entity(EntityKind.Campaign, evt.CampaignId!), changes, store.Options.CampaignTtl);
    }

    private static void Write(IBatch batch, List<Task> writes, string key, Engine.Models.Features.State.EntityChanges changes, TimeSpan ttl)
    {
        if (changes.Replace) writes.Add(batch.KeyDeleteAsync(key));
        if (changes.Set.Count > 0) writes.Add(batch.HashSetAsync(key, [.. changes.Set.Select(f => new HashEntry(f.Field, f.Value.ToArray()))]));
        if (changes.Delete.Count > 0) writes.Add(batch.HashDeleteAsync(key, [.. changes.Delete.Select(f => (RedisValue)f)]));
        if (changes.RenewTtl) writes.Add(batch.KeyExpireAsync(key, ttl));
    }

    /// <summary>One round trip: the changed fields, the emptied ones and the TTL, pipelined.</summary>
    private static async Task WriteAsync(IDatabase db, string key, Engine.Models.Features.State.EntityChanges changes, TimeSpan ttl)
    {
        var batch = db.CreateBatch();
        var writes = new List<Task>(4);
        Write(batch, writes, key, changes, ttl);
        batch.Execute();
        await Task.WhenAll(writes);
    }

    /// <summary>What the user actor keeps beside the features.</summary>
    private sealed class UserMemory
    {
        public RecommendationMemo Recommendation;
        public ChurnEpisode Churn = ChurnEpisode.Armed;
        public DateTimeOffset ChurnScoredAt = DateTimeOffset.MinValue;
    }
}
