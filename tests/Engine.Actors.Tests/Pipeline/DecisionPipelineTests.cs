using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Streams;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Actors.Tests.Users;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Testing.Features;
using Engine.Testing.Kafka;
using Engine.Testing.Redis;
using Xunit.Abstractions;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>The whole user path over the real wire protocols: Kafka in, user shards, Redis, decisions and dead letters out, commits.</summary>
public sealed class DecisionPipelineTests(KafkaFixture kafka, RedisFixture redis, ITestOutputHelper output)
    : PipelineTestKit(kafka, output), IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private const int Partitions = 2;
    private static readonly DateTimeOffset T0 = UserTestWorld.T0;
    private readonly KafkaFixture _kafka = kafka;
    private readonly RedisFixture _redis = redis;
    private readonly ITestOutputHelper _output = output;
    private readonly UserTestWorld _world = new();

    [Fact]
    public async Task Events_become_decisions_bad_records_are_dead_lettered_and_every_offset_is_committed()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(Partitions);

        _world.Campaigns.Publish(new CampaignSnapshot(UserTestWorld.Campaign("c-1"), 1.0, 1000, 20, 0.02, 0.05, BudgetLeft: true));
        var store = new FeatureStore(_redis.Connect(RedisKind.Garnet), new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("pipeline") }, new FeatureMetrics());
        var decider = _world.Decider();
        var users = EntityShards.Start(Sys, EntityShards.Users, Partitions, id => UserActor.Props(id, store, decider));

        var events = new List<byte[]>();
        for (var i = 0; i < 3; i++)
            events.Add(ClickEventCodec.Encode(new ClickEvent
            {
                EventId = $"v{i}", EventTime = T0.AddMinutes(i), UserId = "shopper", SessionId = "s", Type = EventType.ProductView,
                ItemId = $"shoe-{i}", Category = "shoes",
            }));
        events.Add("{\"schema_version\":1, broken"u8.ToArray());
        events.Add(ClickEventCodec.Encode(new ClickEvent
        {
            EventId = "b1", EventTime = T0.AddMinutes(5), UserId = "shopper", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = "req-1", Imp = [new Impression { Id = "1", BidFloor = 0.01m }], CandidateCampaigns = ["c-1"], Tmax = 60_000 },
        }));
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build())
        {
            foreach (var value in events) await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = "shopper"u8.ToArray(), Value = value });
        }

        var group = "pipeline-" + Guid.NewGuid().ToString("N");
        var counters = new PipelineCounters();
        var decisions = new DecisionCounters();
        var settings = new DecisionPipelineSettings(
            new KafkaConsumerSettings(_kafka.BootstrapServers, group, [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers, new Dictionary<string, string> { ["partitioner"] = "murmur2_random" }),
            topics, EntityRoute.Users(campaignEventsTopic: null));
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer(), new ShardAlignment(Sys, EntityShards.Users));
        AwaitCondition(() => counters.Consumed == events.Count && decisions.BidDecisions == 1, TimeSpan.FromSeconds(60));
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var recommendations = Read(topics.Recommendations, Partitions, EngineJson.Default.Recommendation);
        var deadLetters = Read(topics.DeadLetters, Partitions, EngineJson.Default.DeadLetter);
        var bids = Read(topics.BidDecisions, Partitions, EngineJson.Default.BidDecision);
        _output.WriteLine($"{_kafka.Describe()}; sent {events.Count} records (1 malformed); read back {recommendations.Count} recommendations, " +
                          $"{bids.Count} bid decisions, {deadLetters.Count} dead letters; consumed {counters.Consumed}, flushes {counters.Flushes}");

        Assert.NotEmpty(recommendations);
        Assert.All(recommendations, r => Assert.Equal("shopper", r.UserId));
        Assert.StartsWith("shoe-", recommendations[^1].Items[0].ItemId);
        var letter = Assert.Single(deadLetters);
        Assert.StartsWith("malformed", letter.Reason);
        Assert.Equal("{\"schema_version\":1, broken", Encoding.UTF8.GetString(Convert.FromBase64String(letter.PayloadBase64)));
        var bid = Assert.Single(bids);
        Assert.Equal("req-1", bid.RequestId);
        Assert.True(bid.Bid);
        Assert.Equal(events.Count, CommittedCount(input, group));
        // How far behind the stream is (what the node's gen0 pacer reads): these events waited in Kafka for the stream to start.
        Assert.InRange(counters.RecentLatency, TimeSpan.FromTicks(1), TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task Under_a_backlog_a_click_read_with_a_later_one_of_its_session_leaves_its_list_to_it_and_each_sessions_latest_list_goes_out()
    {
        const int shoppers = 4, views = 40;
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(Partitions);
        var (store, users) = StartUsers("conflation", Partitions);
        // A backlog: every shopper's session waits in Kafka, interleaved, before the stream starts.
        var sent = new List<ClickEvent>();
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build())
        {
            for (var v = 0; v < views; v++)
                for (var s = 0; s < shoppers; s++)
                {
                    var view = new ClickEvent
                    {
                        EventId = $"c{s}-{v}", EventTime = T0.AddSeconds(v), UserId = $"conflated-{s}", SessionId = $"s{s}", Type = EventType.ProductView,
                        ItemId = $"shoe-{(v + s) % 12}", Category = "shoes",
                    };
                    sent.Add(view);
                    producer.Produce(input, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(view.UserId), Value = ClickEventCodec.Encode(view) });
                }
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var group = "conflation-" + Guid.NewGuid().ToString("N");
        var (counters, decisions) = (new PipelineCounters(), new DecisionCounters());
        // One ask in flight per partition: what the consumer fetched meanwhile is read together.
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, group, [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null), Parallelism: 1, ListConflationWindow: 512);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer());
        AwaitCondition(() => counters.Consumed == sent.Count, TimeSpan.FromSeconds(60), "every view consumed");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var lists = Read(topics.Recommendations, Partitions, EngineJson.Default.Recommendation);
        _output.WriteLine($"{_kafka.Describe()}; {sent.Count} views in {shoppers} sessions: {lists.Count} lists sent, {decisions.ListsConflated} left to a later click");
        Assert.True(decisions.ListsConflated > 0, "nothing was conflated under the backlog");
        Assert.True(lists.Count + decisions.ListsConflated <= sent.Count);
        // The storefront gets every session's latest list, and each list is its click's own.
        for (var s = 0; s < shoppers; s++) Assert.Contains(lists, l => l.CausedBy == $"c{s}-{views - 1}");
        Assert.All(lists, l => Assert.Equal(DecisionIds.Derive("recommendation", l.CausedBy), l.DecisionId));
        // Every view counted in the features all the same.
        var viewsDay = FeatureNames.User.ToList().IndexOf("product_view_24h");
        foreach (var state in await Task.WhenAll(Enumerable.Range(0, shoppers).Select(s => store.LoadUserAsync($"conflated-{s}"))))
            Assert.Equal(views, FeatureAssert.Read(UserFeatures.All, state, state.LastEventMs)[viewsDay]);
        Assert.Equal(sent.Count, CommittedCount(input, group));
    }

    [Fact]
    public async Task A_node_given_more_partitions_than_it_used_to_stream_at_once_reads_and_commits_them_all()
    {
        const int many = 70; // the node streamed at most 64 partitions at once: the rest waited, unread, for ever
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(many);
        var (store, users) = StartUsers("partitions", many);
        await ProduceOneEventPerPartitionAsync(input, many);

        var group = "partitions-" + Guid.NewGuid().ToString("N");
        var counters = new PipelineCounters();
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, group, [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null));
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, new DecisionCounters(), Sys.Materializer());
        AwaitCondition(() => counters.Consumed == many, TimeSpan.FromSeconds(60), $"{many} partitions' events consumed");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));
        _output.WriteLine($"{_kafka.Describe()}; {many} partitions, one event each: consumed {counters.Consumed}, committed {CommittedCount(input, group, many)}");
        Assert.Equal(many, CommittedCount(input, group, many));
    }

    [Fact]
    public async Task A_partition_is_not_read_while_its_previous_writer_on_this_node_is_still_flushing()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(Partitions);
        var (store, users) = StartUsers("fenced", Partitions);
        await ProduceOneEventPerPartitionAsync(input, Partitions);
        // Partition 0's previous writer (a revoked lease, or the run before a restart) has a flush in flight.
        var fences = new PartitionFences();
        var previousWriter = new TaskCompletionSource();
        _ = fences.Enter(0, previousWriter.Task);

        var counters = new PipelineCounters();
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, "fenced-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null), Fences: fences);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, new DecisionCounters(), Sys.Materializer());
        AwaitCondition(() => counters.Consumed == 1, TimeSpan.FromSeconds(60), "partition 1's event consumed");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var whileFenced = counters.Consumed;
        previousWriter.SetResult();
        AwaitCondition(() => counters.Consumed == Partitions, TimeSpan.FromSeconds(30), "partition 0's event consumed once its previous writer was done");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));
        _output.WriteLine($"consumed while partition 0's previous writer was flushing: {whileFenced}; after: {counters.Consumed}");
        Assert.Equal(1, whileFenced);
    }

    [Fact]
    public async Task A_record_too_large_to_dead_letter_whole_is_dead_lettered_truncated_and_its_offset_committed()
    {
        // 800 KB fits a Kafka record; base64 in a JSON letter (1.07 MB) would not: the letter could not be sent, and the
        // stream failed on it, restarted and replayed it for ever.
        var huge = Letters(800_000);
        var (letter, committed) = await DeadLetterOneAsync("huge", huge);

        var payload = Convert.FromBase64String(letter.PayloadBase64);
        _output.WriteLine($"{huge.Length:N0}-byte record: letter \"{letter.Reason}\", payload {payload.Length:N0} bytes, truncated {letter.PayloadTruncated}, " +
                          $"original {letter.PayloadBytes:N0}; committed {committed}");
        Assert.StartsWith("oversized", letter.Reason);
        Assert.True(letter.PayloadTruncated);
        Assert.Equal(huge.Length, letter.PayloadBytes);
        Assert.Equal(huge.AsSpan(0, DeadLetters.MaxPayloadBytes).ToArray(), payload);
        Assert.Equal(1, committed);
    }

    /// <summary>
    /// An operator's smaller <c>message.max.bytes</c> (200,000) and a 150 KB record, oversized for the engine (64 KB): its letter
    /// (~200 KB of base64) is above the limit, so it goes without its payload. Before, letters were cut at 960 KB whatever the
    /// limit: the producer refused this one, and the stream failed, restarted and replayed it for ever.
    /// </summary>
    [Fact]
    public async Task A_dead_letter_keeps_under_the_producers_own_message_size_limit()
    {
        var big = Letters(150_000);
        var (letter, committed) = await DeadLetterOneAsync("limit", big, new Dictionary<string, string> { ["message.max.bytes"] = "200000" });

        Assert.StartsWith("oversized", letter.Reason);
        Assert.Equal(("", true, big.Length), (letter.PayloadBase64, letter.PayloadTruncated, letter.PayloadBytes));
        Assert.Equal(1, committed);
    }

    private static byte[] Letters(int length)
    {
        var value = new byte[length];
        for (var i = 0; i < value.Length; i++) value[i] = (byte)('a' + i % 26);
        return value;
    }

    /// <summary>One record on a topic of its own through the pipeline (its producer configured with <paramref name="client"/>): its letter, and the offset committed.</summary>
    private async Task<(DeadLetter Letter, long Committed)> DeadLetterOneAsync(string name, byte[] value, Dictionary<string, string>? client = null)
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        var (store, users) = StartUsers(name, 1);
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
            await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = "shopper"u8.ToArray(), Value = value });

        var group = name + "-" + Guid.NewGuid().ToString("N");
        var counters = new PipelineCounters();
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, group, [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers, client), topics, EntityRoute.Users(campaignEventsTopic: null));
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, new DecisionCounters(), Sys.Materializer());
        AwaitCondition(() => counters.Consumed == 1, TimeSpan.FromSeconds(60), "the record dead-lettered");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));
        return (Assert.Single(Read(topics.DeadLetters, 1, EngineJson.Default.DeadLetter)), CommittedCount(input, group, 1));
    }

    [Fact]
    public async Task An_event_stamped_far_ahead_of_its_record_is_dead_lettered_and_does_not_move_the_event_clock()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        var (store, users) = StartUsers("ahead", 1);
        var now = DateTimeOffset.UtcNow;
        ClickEvent View(string id, DateTimeOffset at) => new()
        {
            EventId = id, EventTime = at, UserId = "shopper", SessionId = "s", Type = EventType.ProductView, ItemId = "shoe-1", Category = "shoes",
        };
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
        {
            foreach (var e in new[] { View("on-time", now.AddMinutes(-5)), View("slightly-ahead", now.AddMinutes(20)), View("far-ahead", now.AddDays(30)) })
                await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = "shopper"u8.ToArray(), Value = ClickEventCodec.Encode(e) });
            // A producer that stamps its records with the event's own time carries the wrong clock into both: the node's
            // clock bounds the record's (before 2026-12-06 this one was accepted and moved the clock 30 days on).
            await producer.ProduceAsync(input, new Message<byte[], byte[]>
            {
                Key = "shopper"u8.ToArray(), Value = ClickEventCodec.Encode(View("stamped-ahead", now.AddDays(30))),
                Timestamp = new Timestamp(now.AddDays(30).UtcDateTime, TimestampType.CreateTime),
            });
        }

        var counters = new PipelineCounters();
        var clock = new PartitionClock();
        var connection = _redis.Connect(RedisKind.Garnet);
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, "ahead-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null),
            Churn: new ChurnSchedule(new ChurnDueList(connection, RedisFixture.UniquePrefix("ahead-due")), clock, TimeSpan.FromDays(3)));
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, new DecisionCounters(), Sys.Materializer());
        AwaitCondition(() => counters.Consumed == 4, TimeSpan.FromSeconds(60), "four events consumed");
        // Read before the stream ends: the partition leaves the clock with its stream (the sweeper stops sweeping it).
        var clockAt = DateTimeOffset.FromUnixTimeMilliseconds(clock.Watermarks[0]);
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var letters = Read(topics.DeadLetters, 1, EngineJson.Default.DeadLetter);
        _output.WriteLine($"dead letters: {string.Join(" | ", letters.Select(l => l.Reason))}; partition clock at {clockAt:O} (now {now:O})");
        Assert.Equal(2, letters.Count);
        Assert.All(letters, letter => Assert.StartsWith("invalid: event_time", letter.Reason));
        Assert.Equal(2, counters.Applied);
        Assert.True(clockAt < now.AddHours(1), $"the clock moved to {clockAt:O}");
    }

    [Fact]
    public async Task A_bid_request_that_waited_in_kafka_past_its_tmax_is_dropped_as_late()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        _world.Campaigns.Publish(new CampaignSnapshot(UserTestWorld.Campaign("c-1"), 1.0, 1000, 20, 0.02, 0.05, BudgetLeft: true));
        var (store, users) = StartUsers("tmax", 1);
        var now = DateTimeOffset.UtcNow;
        ClickEvent Request(string id, int tmax) => new()
        {
            EventId = id, EventTime = now.AddMinutes(-1), UserId = "bidder", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = "req-" + id, Imp = [new Impression { Id = "1", BidFloor = 0.01m }], CandidateCampaigns = ["c-1"], Tmax = tmax },
        };
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
        {
            // Reached Kafka a minute ago (a backlog, a restart's replay): its 1 s tmax is long past when the engine reads it.
            // Before 2026-12-06 tmax ran from the engine's ask, and this one was answered.
            await producer.ProduceAsync(input, new Message<byte[], byte[]>
            {
                Key = "bidder"u8.ToArray(), Value = ClickEventCodec.Encode(Request("stale", 1_000)),
                Timestamp = new Timestamp(now.AddMinutes(-1).UtcDateTime, TimestampType.CreateTime),
            });
            await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = "bidder"u8.ToArray(), Value = ClickEventCodec.Encode(Request("fresh", 60_000)) });
        }

        var counters = new PipelineCounters();
        var decisions = new DecisionCounters();
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, "tmax-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null));
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer());
        AwaitCondition(() => counters.Consumed == 2, TimeSpan.FromSeconds(60), "two requests consumed");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var bids = Read(topics.BidDecisions, 1, EngineJson.Default.BidDecision);
        _output.WriteLine($"bid decisions for: {string.Join(", ", bids.Select(b => b.RequestId))}; dropped as late: {decisions.LateBidsDropped}");
        Assert.Equal("req-fresh", Assert.Single(bids).RequestId);
        Assert.Equal(1, decisions.LateBidsDropped);
    }

    /// <summary>
    /// A bid priced within its tmax can still wait in the stream past it: behind a flush, when the partition has no room
    /// for more events waiting for Redis. Sent then, it would reach the exchange after it moved on (docs/contracts.md: such a
    /// decision is counted, not sent). Redis is a redis-server frozen (SIGSTOP) after the bidder's state is loaded.
    /// </summary>
    [Fact]
    public async Task A_bid_priced_in_time_but_held_past_its_tmax_by_a_hung_redis_is_counted_late_not_sent()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        _world.Campaigns.Publish(new CampaignSnapshot(UserTestWorld.Campaign("c-1"), 1.0, 1000, 20, 0.02, 0.05, BudgetLeft: true));
        using var redis = await RestartableRedis.StartAsync(RedisKind.RedisServer);
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        var store = new FeatureStore(connection, new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("held") }, new FeatureMetrics());
        var users = EntityShards.Start(Sys, EntityShards.Users, 1, id => UserActor.Props(id, store, _world.Decider()));
        var counters = new PipelineCounters();
        var decisions = new DecisionCounters();
        // Room for one event waiting for Redis: the batch after a hung flush waits for it.
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, "held-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null), MaxUndurable: 1);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, decisions, Sys.Materializer());
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        var now = DateTimeOffset.UtcNow;
        Task Produce(ClickEvent e) => producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = "bidder"u8.ToArray(), Value = ClickEventCodec.Encode(e) });
        ClickEvent View(string id) => new() { EventId = id, EventTime = now, UserId = "bidder", SessionId = "s", Type = EventType.PageView };

        await Produce(View("v-1")); // loads the bidder while Redis answers
        AwaitCondition(() => counters.Consumed == 1, TimeSpan.FromSeconds(60), "the first view durable");
        redis.Freeze();
        await Produce(View("v-2")); // decided at once; its flush hangs and fills the partition's room
        await Task.Delay(1000);
        await Produce(new ClickEvent
        {
            EventId = "b-1", EventTime = now, UserId = "bidder", Type = EventType.BidRequest,
            BidRequest = new BidRequest { Id = "req-held", Imp = [new Impression { Id = "1", BidFloor = 0.01m }], CandidateCampaigns = ["c-1"], Tmax = 300 },
        });
        await Task.Delay(2000); // priced within its 300 ms, then held behind the flush
        redis.Thaw();
        AwaitCondition(() => counters.Consumed == 3, TimeSpan.FromSeconds(60), "all three durable once Redis answers");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var bids = Read(topics.BidDecisions, 1, EngineJson.Default.BidDecision);
        _output.WriteLine($"bid decisions sent: {bids.Count}; dropped as late: {decisions.LateBidsDropped}");
        Assert.Empty(bids);
        Assert.Equal(1, decisions.LateBidsDropped);
    }

    [Fact]
    public async Task An_event_on_another_partition_than_its_users_is_dead_lettered_as_misrouted()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(Partitions);
        var (store, users) = StartUsers("misrouted", Partitions);
        var home = Engine.Models.Routing.KafkaPartitioner.Partition("shopper", Partitions);
        var view = ClickEventCodec.Encode(new ClickEvent
        {
            EventId = "v-1", EventTime = T0, UserId = "shopper", SessionId = "s", Type = EventType.ProductView, ItemId = "shoe-1", Category = "shoes",
        });
        // As a producer on librdkafka's default partitioner (CRC32, not murmur2) may place it: on the other partition.
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(new TopicPartition(input, home), new Message<byte[], byte[]> { Key = "shopper"u8.ToArray(), Value = view });
            await producer.ProduceAsync(new TopicPartition(input, 1 - home), new Message<byte[], byte[]> { Key = "shopper"u8.ToArray(), Value = view });
        }

        var counters = new PipelineCounters();
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, "misrouted-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEventsTopic: null), Partitions: Partitions);
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, new DecisionCounters(), Sys.Materializer());
        AwaitCondition(() => counters.Consumed == 2, TimeSpan.FromSeconds(60), "both records consumed");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        var letter = Assert.Single(Read(topics.DeadLetters, Partitions, EngineJson.Default.DeadLetter));
        _output.WriteLine($"shopper's partition {home}; dead letter from partition {letter.Partition}: {letter.Reason}");
        Assert.Equal(1 - home, letter.Partition);
        Assert.StartsWith($"misrouted: user_id shopper belongs to partition {home} of {Partitions}", letter.Reason);
        Assert.Equal(1, counters.Applied);
    }

    [Fact]
    public async Task An_event_its_entity_failed_on_is_dead_lettered_and_still_forwarded_to_its_campaign()
    {
        await JoinSelfAsync();
        var (input, topics) = await CreateTopicsAsync(1);
        var campaignEvents = KafkaFixture.UniqueTopic("campaign-events");
        await _kafka.CreateTopicAsync(campaignEvents, 1);
        var store = new FeatureStore(_redis.Connect(RedisKind.Garnet), new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix("failing") }, new FeatureMetrics());
        var users = EntityShards.Start(Sys, EntityShards.Users, 1, _ => Props.Create(() => new FailsEveryEvent()));
        var impression = new ClickEvent
        {
            EventId = "imp-1", EventTime = T0, UserId = "shopper", Type = EventType.AdImpression, CampaignId = "c-1", Price = 0.5m,
        };
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build())
            await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = "shopper"u8.ToArray(), Value = ClickEventCodec.Encode(impression) });

        var counters = new PipelineCounters();
        var settings = new DecisionPipelineSettings(new KafkaConsumerSettings(_kafka.BootstrapServers, "failing-" + Guid.NewGuid().ToString("N"), [input]),
            new KafkaProducerSettings(_kafka.BootstrapServers), topics, EntityRoute.Users(campaignEvents));
        var (control, completion) = DecisionPipeline.Run(settings, users, store, counters, new DecisionCounters(), Sys.Materializer());
        AwaitCondition(() => counters.Consumed == 1, TimeSpan.FromSeconds(60), "the impression consumed");
        await control.DrainAndShutdownAsync(completion).WaitAsync(TimeSpan.FromSeconds(30));

        // Dead-lettered with the entity's reason, and still counted by its campaign (before 2026-12-06 its spend was lost).
        Assert.StartsWith("failed: the user actor threw", Assert.Single(Read(topics.DeadLetters, 1, EngineJson.Default.DeadLetter)).Reason);
        Assert.Equal("imp-1", Assert.Single(Read(campaignEvents, 1, EngineJson.Default.ClickEvent)).EventId);
    }

    /// <summary>Answers every event as failed: what a user actor that throws on it does.</summary>
    private sealed class FailsEveryEvent : ReceiveActor
    {
        public FailsEveryEvent()
        {
            Receive<UserProtocol.RecordEvent>(e => Sender.Tell(new EntityFailed(e.Position, "failed: the user actor threw InvalidOperationException (test)")));
            Receive<Engine.Actors.Sharding.HandOffStop>(_ => Context.Stop(Self)); // as every entity does when its shard moves
        }
    }

    /// <summary>A feature store under a prefix of its own (on Garnet) and the user shards over <paramref name="partitions"/>.</summary>
    private (FeatureStore Store, IActorRef Users) StartUsers(string prefix, int partitions)
    {
        var store = new FeatureStore(_redis.Connect(RedisKind.Garnet), new FeatureStoreOptions { KeyPrefix = RedisFixture.UniquePrefix(prefix) }, new FeatureMetrics());
        return (store, EntityShards.Start(Sys, EntityShards.Users, partitions, id => UserActor.Props(id, store, _world.Decider())));
    }

    /// <summary>A page view of user <c>u-{p}</c> into each partition p.</summary>
    private async Task ProduceOneEventPerPartitionAsync(string topic, int partitions)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers }).Build();
        for (var p = 0; p < partitions; p++)
            await producer.ProduceAsync(new TopicPartition(topic, p), new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes($"u-{p}"),
                Value = ClickEventCodec.Encode(new ClickEvent { EventId = $"p{p}", EventTime = T0, UserId = $"u-{p}", SessionId = "s", Type = EventType.PageView }),
            });
    }

    private long CommittedCount(string topic, string group, int partitions = Partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = _kafka.BootstrapServers, GroupId = group }).Build();
        var committed = consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        return committed.Sum(c => c.Offset.Value < 0 ? 0 : c.Offset.Value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _world.Dispose();
    }
}
