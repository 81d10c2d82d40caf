using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Campaigns;
using Engine.Actors.Sharding;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Pipeline;

/// <summary>
/// Which entity an input event goes to: the message for its shard region (null: the event is not for this kind
/// of entity, e.g. a page view on the campaign stream), and the topic, if any, where events that concern a
/// campaign are re-keyed by campaign id for the campaign actors. A route that <paramref name="ReadsOrigin"/> has its
/// source read the records' headers (<see cref="DecodedRecord.Origin"/>).
/// </summary>
/// <param name="Key">The event's key, which its records are partitioned by (murmur2, as Kafka's Java client): the entity the
/// engine finds each partition's shard, and each user's partition, from; <paramref name="KeyField"/> names it.</param>
public sealed record EntityRoute(Func<ClickEvent, DecodedRecord, DateTimeOffset, IShardedMessage?> Message, Func<ClickEvent, string?> Key, string KeyField,
    string? CampaignEventsTopic = null, bool ReadsOrigin = false)
{
    /// <summary>
    /// Each user's events, at a time no later than its record reached Kafka (<see cref="NotAfterArrival"/>): a user's windows and
    /// lateness run on the latest of its events' times, which several clocks stamp (the device's, the exchange's for bid
    /// requests, the shop's for server-side purchases), and one stamped ahead made the others late and counted nowhere until
    /// real time caught up (before 2026-12-07; review).
    /// </summary>
    public static EntityRoute Users(string? campaignEventsTopic) => new(
        (e, record, receivedAt) => new UserProtocol.RecordEvent(e.UserId, NotAfterArrival(e, record), record.Position, receivedAt) { ListSuperseded = record.ListSuperseded },
        e => e.UserId, "user_id", campaignEventsTopic);

    /// <summary>
    /// Campaign events, each with its clickstream origin: what the campaign state counts once (<see cref="ForwardOrigin"/>),
    /// at a time no later than its forward reached Kafka (<see cref="NotAfterArrival"/>).
    /// </summary>
    public static EntityRoute Campaigns { get; } = new(
        (e, record, _) => e.CampaignId is { } id ? new CampaignProtocol.RecordCampaignEvent(id, NotAfterArrival(e, record), record.Position, record.Origin) : null,
        e => e.CampaignId, "campaign_id", ReadsOrigin: true);

    /// <summary>
    /// A campaign's delivery windows and pacing clock run on its events' time, shared by every user's events: one impression
    /// stamped ahead by a wrong device clock (up to <see cref="DecodedRecord.MaxAheadOfRecord"/>) moved the clock ahead,
    /// emptied the last hour's minutes and stepped the pacer over the gap to its highest multiplier, then froze it until real
    /// time caught up. Nothing happens after it reaches Kafka, so its time is at most that: its clickstream record's arrival,
    /// which the forward carries (its own arrival when it carries none, a forward of an older node; the same on a replay of
    /// the campaign events). An item's slice is shared by every user of its partition the same way (<see cref="BatchWriter"/>).
    /// </summary>
    internal static ClickEvent NotAfterArrival(ClickEvent e, DecodedRecord record)
    {
        var arrivedUtc = record.OriginArrivedUtc is { } origin && origin < record.ArrivedUtc ? origin : record.ArrivedUtc;
        var arrived = new DateTimeOffset(arrivedUtc.Ticks, TimeSpan.Zero);
        return e.EventTime <= arrived ? e : e with { EventTime = arrived };
    }

    /// <summary>Ad impressions and clicks, and purchases attributed to a campaign, are what campaign pacing counts.</summary>
    public static bool ConcernsCampaign(ClickEvent e) =>
        e.CampaignId is not null && e.Type is EventType.AdImpression or EventType.AdClick or EventType.Purchase;
}

/// <summary>Where users are put on the churn due-list after their events, and how long a silence is before they are checked.</summary>
public sealed record ChurnSchedule(ChurnDueList DueList, PartitionClock Clock, TimeSpan SilenceBeforeCheck);

/// <summary>How the decision pipeline reads, asks, batches and writes.</summary>
/// <param name="Parallelism">Asks in flight per partition (order kept).</param>
/// <param name="BatchSize">Most events per batch: a batch forms only while the stages after the asks are busy.</param>
/// <param name="MaxPartitions">Most partitions one node streams at once (a substream each): at least the input topic's partitions, since a partition past it would wait for a free slot, unread and uncommitted, as long as the node kept it (at 64, a node given 65 or more partitions never read the rest). 1,024 is the most the engine's configuration allows (<c>Kafka:Partitions</c>).</param>
/// <param name="Fences">The node's per-partition fences for this stream (<see cref="PartitionFences"/>): pass the same one to every run of a supervised pipeline; null gives each run its own.</param>
/// <param name="Durable">Where the stream publishes the offsets whose features Redis holds, for its entities' <see cref="Sharding.IdlePassivation"/>: the same one the entities were given, kept for the node's lifetime; null publishes nothing.</param>
/// <param name="ListConflationWindow">Most records read together that <see cref="ListConflation"/> looks through for a user's later page event of the same session (default 0: each page event gets its own list). A node conflates (<c>Recommendations:ConflationWindow</c>, 512 by default).</param>
/// <param name="TmaxFromIntake">A bid's <c>tmax</c> runs from the node taking the request in, not from its arrival in Kafka: only for replays of recorded or simulated traffic faster than real time (demo, experiment runs), where a backlog is the replay's and no exchange waits. Default false: time waiting in Kafka counts.</param>
/// <param name="Partitions">The input topic's partition count as the engine computes partitions with (<c>Kafka:Partitions</c>): an event whose key belongs to another partition is dead-lettered as misrouted (<see cref="DecodedRecord"/>); null checks nothing.</param>
/// <param name="MaxUndurable">Events per partition whose decisions may go out while their features wait for Redis; past it the partition waits.</param>
/// <param name="FlushInterval">Least time between the starts of a partition's flushes (default 10 ms): what arrives meanwhile is flushed together. Only commits wait for it.</param>
/// <param name="ForwardLinger">How long the campaign-event forwards' producer waits to fill a batch (default 1 ms, as the decisions' producer): the commit and the campaign stream's bid adjustments wait for it, and an adjustment's Kafka hop starts at its forward. At 5 ms (rounds 12-13) those adjustments were the tail of every decision's latency at low rates: at 1,000 events/s the p99 over all decisions was 9.5-9.7 ms against 6.8-6.9 with 1 ms, the Kafka hop's p99 8.1-8.3 against 4.7-4.8; at 10,000/s the p99 did not change and the CPU per event was within the noise (docs/performance.md, round 14). 20 ms put the adjustments' p99 at ~30 ms at 500 events/s (round 12). A <c>linger.ms</c> in the producer's client config wins.</param>
public sealed record DecisionPipelineSettings(
    KafkaConsumerSettings Consumer,
    KafkaProducerSettings Producer,
    DecisionTopics Topics,
    EntityRoute Route,
    int Parallelism = 256,
    int BatchSize = 2_000,
    TimeSpan? AskTimeout = null,
    int MaxPartitions = 1_024,
    CommitterSettings? Committer = null,
    ChurnSchedule? Churn = null,
    Engine.Models.Fairness.FairnessMonitor? Fairness = null,
    int MaxUndurable = 10_000,
    TimeSpan? FlushInterval = null,
    TimeSpan? ForwardLinger = null,
    PartitionFences? Fences = null,
    DurableOffsets? Durable = null,
    int? Partitions = null,
    bool TmaxFromIntake = false,
    int ListConflationWindow = 0)
{
    public TimeSpan EffectiveFlushInterval => FlushInterval ?? TimeSpan.FromMilliseconds(10);

    public TimeSpan EffectiveForwardLinger => ForwardLinger ?? TimeSpan.FromMilliseconds(1);

    public TimeSpan EffectiveAskTimeout => AskTimeout ?? TimeSpan.FromSeconds(10);
}

/// <summary>
/// The engine's main stream (once for users, once for campaigns). Per partition: decode (refused records go to the
/// dead-letter topic), ask each event's entity actor with bounded parallelism (order kept), batch only while the
/// stages after are busy, and send the batch's decisions and dead letters to Kafka at once, while its campaign-event
/// forwards go out in fuller batches (<see cref="CampaignForwarder"/>) and its feature changes are written behind to
/// Redis (<see cref="PartitionFlusher"/>: in order, merged while one is in flight). A batch's offset is committed, in
/// order, only once Kafka acknowledged its records and forwards AND Redis its features. A failed ask fails the stream:
/// the caller restarts it from the last commit, and the replay is harmless (features dedup by offset, decisions keep
/// their ids).
/// </summary>
public static class DecisionPipeline
{
    public static (IKafkaControl Control, Task<Done> Completion) Run(
        DecisionPipelineSettings settings, IActorRef region, FeatureStore store,
        PipelineCounters counters, DecisionCounters decisions, IMaterializer materializer, ShardAlignment? alignment = null)
    {
        var topic = settings.Consumer.Topics[0];
        var system = materializer is ActorMaterializer actors ? actors.System : throw new ArgumentException("an actor materializer is needed", nameof(materializer));
        var forwarder = settings.Route.CampaignEventsTopic is null ? null : new CampaignForwarder(settings.Producer, settings.EffectiveForwardLinger, system.Log);
        var fences = settings.Fences ?? new PartitionFences();
        var letterLimit = DeadLetters.LetterLimit(settings.Producer.ToProducerConfig());
        var perPartition = Flow.Create<(Confluent.Kafka.TopicPartition Partition, Source<CommittableMessage, NotUsed> Messages)>()
            .MergeMany(settings.MaxPartitions, partition =>
            {
                // A newly assigned partition: move its shard here before its first event asks for it (tried again until it
                // lands, while the partition is still assigned here).
                var assigned = new CancellationTokenSource();
                _ = alignment?.AssignedAsync([partition.Partition.Partition.Value], assigned.Token, e => system.Log.Warning(
                    "Moving the shard of partition {0} to this node failed ({1}): its events are asked across nodes until it moves; trying again",
                    partition.Partition.Partition.Value, e.GetBaseException().Message), () => system.Log.Warning(
                    "The shard of partition {0} was allocated to another node while this one reads it (a late update of an earlier owner): moving it back",
                    partition.Partition.Partition.Value));
                var writer = new BatchWriter(store, topic, settings.Topics, settings.Route, settings.Churn, counters, decisions, settings.Fairness,
                    settings.MaxUndurable, settings.EffectiveFlushInterval, forwarder, settings.Durable, settings.TmaxFromIntake, fences, letterLimit);
                var inbox = new ReplyInbox(system, settings.EffectiveAskTimeout, settings.Durable);
                var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var previous = fences.Enter(partition.Partition.Partition.Value, released.Task);
                settings.Durable?.Writing(partition.Partition.Partition.Value);
                writer.ReadStoredOffsetAfter(previous, partition.Partition.Partition.Value);
                // Waits for the partition's previous writer on this node, if it is still ending (see PartitionFences).
                // The partition's own source ends at its revocation: the shard's move is not tried again past it.
                var assignedMessages = partition.Messages.WatchTermination((notUsed, revoked) =>
                {
                    revoked.ContinueWith(_ => assigned.Cancel(), TaskScheduler.Default);
                    return notUsed;
                });
                var messages = previous.IsCompleted ? assignedMessages
                    : Source.FromTask(previous.ContinueWith(_ => NotUsed.Instance, TaskScheduler.Default)).ConcatMany(_ => assignedMessages);
                return messages
                    .Select(message => DecodedRecord.From(message, settings.Route, settings.Partitions))
                    .Via(ListConflation.Flow(settings.ListConflationWindow))
                    .SelectAsync(settings.Parallelism, record => AskAsync(inbox, region, settings.Route, record, settings.TmaxFromIntake))
                    // No timer: a reply goes on at once while the stages after are free, and replies gather while they are busy.
                    .Batch(settings.BatchSize, asked => new List<Asked> { asked }, (batch, asked) =>
                    {
                        batch.Add(asked);
                        return batch;
                    })
                    .SelectAsync(1, writer.DecideAsync)
                    .WatchTermination((NotUsed notUsed, Task<Done> ended) =>
                    {
                        ended.ContinueWith(end =>
                        {
                            assigned.Cancel();
                            inbox.Dispose();
                            writer.StreamEnded(failed: end.IsFaulted); // failed: its flushes give up rather than wait for a Redis outage to end
                            writer.FlushedAsync().ContinueWith(_ =>
                            {
                                settings.Durable?.Forget(partition.Partition.Partition.Value); // nothing of this writer can land any more
                                settings.Churn?.Clock.Forget(partition.Partition.Partition.Value); // nor is the partition swept here until a writer is back
                                released.TrySetResult();
                            }, TaskScheduler.Default);
                        }, TaskScheduler.Default);
                        return notUsed;
                    });
            });
        var consumer = settings.Route.ReadsOrigin ? settings.Consumer with { ReadHeaders = true } : settings.Consumer;
        return KafkaSource.CommittablePartitionedSource(consumer)
            .Via(perPartition)
            .Select(batch => (IProducerEnvelope<DecidedBatch>)new MultiMessage<DecidedBatch>(batch.Records, batch))
            .Via(KafkaProducer.Flow<DecidedBatch>(settings.Producer))
            .Select(result =>
            {
                result.PassThrough.RecordLatency(decisions, counters, DateTime.UtcNow);
                // Only what the commit waits for goes on: the batch's records (dead letters up to ~1 MB each) were kept until
                // Redis held the features, up to MaxUndurable events' worth per partition while Redis was slow.
                return new ProducedBatch(result.PassThrough.Last, result.PassThrough.Durable, result.PassThrough.Forwarded);
            })
            // In order: each batch's offset once its features are durable and its forwards delivered too (a partition's
            // flushes and forwards complete in its order).
            .SelectAsync(settings.MaxPartitions * 4, async batch =>
            {
                try
                {
                    await batch.Durable.ConfigureAwait(false);
                }
                catch
                {
                    // The stream fails now, not once the forwards end (they wait for Kafka as long as it takes); theirs is
                    // observed, not left to surface as an unobserved task exception.
                    _ = batch.Forwarded.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                    throw;
                }
                await batch.Forwarded.ConfigureAwait(false);
                return batch.Last;
            })
            .ToMaterialized(Committer.Sink(settings.Committer ?? new CommitterSettings()), Keep.Both)
            .MapMaterializedValue(run =>
            {
                if (forwarder is not null) run.Item2.ContinueWith(_ => forwarder.Dispose(), TaskScheduler.Default);
                return run;
            })
            .Run(materializer);
    }

    private static Task<Asked> AskAsync(ReplyInbox inbox, IActorRef region, EntityRoute route, DecodedRecord record, bool tmaxFromIntake)
    {
        if (record.Decoded.Event is not { } evt) return Task.FromResult(new Asked(record, null, record.ReceivedUtc));
        // A bid's tmax runs from the request's arrival in Kafka: time it waited there (a backlog, a restart's replay) counts.
        if (route.Message(evt, record, record.TmaxStart(tmaxFromIntake)) is not { } message) return Task.FromResult(new Asked(record, null, record.ReceivedUtc));
        return inbox.Ask(region, message, record);
    }
}

/// <summary>
/// A record and what its entity answered: null when the record was refused (no event) or concerns no entity of this stream.
/// <paramref name="Failure"/>: the entity threw on it (<see cref="EntityFailed"/>): dead-lettered with this reason, and still
/// forwarded to its campaign if it concerns one.
/// </summary>
internal sealed record Asked(DecodedRecord Record, EntityHandled? Handled, DateTime RepliedUtc, string? Failure = null);
