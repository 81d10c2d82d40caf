using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Pipeline;

/// <summary>
/// A partition's batch once its entities answered: what to produce at once, the offset to commit, the stamps of its
/// events that caused decisions, <paramref name="Durable"/>, which completes once Redis holds its feature changes, and
/// <paramref name="Forwarded"/>, once Kafka holds its campaign-event forwards.
/// </summary>
public sealed record DecidedBatch(IReadOnlyList<ProducerRecord> Records, CommittableOffset Last, IReadOnlyList<EventStamps> Decided, DateTime BatchedUtc,
    Task Durable, Task Forwarded)
{
    /// <summary>Records arrival-to-acknowledgement latency, and its hops, of every event that caused a decision.</summary>
    internal void RecordLatency(DecisionCounters counters, PipelineCounters stream, DateTime producedUtc)
    {
        if (Decided.Count == 0) return;
        var longest = TimeSpan.Zero;
        foreach (var e in Decided)
        {
            var latency = producedUtc - e.KafkaUtc;
            Telemetry.PipelineInstruments.RecordLatency(counters, latency);
            if (latency > longest) longest = latency;
        }
        counters.Hops.Produced(Decided, BatchedUtc, producedUtc);
        stream.LatestBatchLatency(longest);
    }
}

/// <summary>A batch Kafka has acknowledged: what its offset's commit still waits for (Redis, the campaign-event forwards).</summary>
public sealed record ProducedBatch(CommittableOffset Last, Task Durable, Task Forwarded);

/// <summary>
/// Turns one partition's batch of entity answers into the records to produce at once (decisions, dead letters), sends its
/// campaign-event forwards to the stream's <see cref="CampaignForwarder"/>, and hands its feature changes and churn checks
/// to the partition's <see cref="PartitionFlusher"/> (one atomic round trip per flush, retried with backoff while Redis is
/// away). One instance per partition.
/// </summary>
internal sealed class BatchWriter
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);
    private readonly FeatureStore _store;
    private readonly string _topic;
    private readonly DecisionTopics _topics;
    private readonly EntityRoute _route;
    private readonly ChurnSchedule? _churn;
    private readonly PipelineCounters _counters;
    private readonly DecisionCounters _decisions;
    private readonly Engine.Models.Fairness.FairnessMonitor? _fairness;
    private readonly PartitionFlusher _flusher;
    private readonly CampaignForwarder? _forwarder;
    private readonly DurableOffsets? _durable;
    private readonly bool _tmaxFromIntake;
    // The partition's offset in Redis once the writers before this one are done (-1: none): see ReadStoredOffsetAfter.
    private Task<long> _storedAtStart = Task.FromResult(-1L);
    // The latest churn check time on the partition's due-list when this writer started (MinValue: none known).
    private Task<long> _dueFloor = Task.FromResult(long.MinValue);
    private Task _lastFlush = Task.CompletedTask;
    private Task _deciding = Task.CompletedTask;
    // The partition's assignment this writer writes for (from its first batch), and whether it stopped writing when it was revoked.
    private PartitionLease? _lease;
    private volatile bool _givenUp;
    // Its stream ended (see End).
    private volatile bool _ended;
    // Where a writer that gives up leaves its unwritten item events, and whether this one took the previous writer's (see PartitionFences).
    private readonly PartitionFences? _fences;
    private bool _tookUnwritten;
    // This partition's item slices, applied and flushed with its users under the same offset, by the flusher's one flush
    // at a time (so each ApplyAsync follows an acknowledged flush); a rebalance starts a fresh writer and owner.
    private readonly ItemSliceOwner _items;
    private readonly int _maxLetterBytes; // what the decisions' producer sends (DeadLetters.LetterLimit)
    // The partition's event-time clock as this writer read it (its latest applied user event, capped at its arrival).
    private long _partitionNowMs = long.MinValue;

    public BatchWriter(FeatureStore store, string topic, DecisionTopics topics, EntityRoute route, ChurnSchedule? churn, PipelineCounters counters,
        DecisionCounters decisions, Engine.Models.Fairness.FairnessMonitor? fairness, int maxUndurable, TimeSpan flushInterval, CampaignForwarder? forwarder,
        DurableOffsets? durable, bool tmaxFromIntake = false, PartitionFences? fences = null, int maxLetterBytes = DeadLetters.MaxLetterBytes)
    {
        (_store, _topic, _topics, _route, _churn, _counters, _decisions, _fairness) = (store, topic, topics, route, churn, counters, decisions, fairness);
        (_forwarder, _durable, _tmaxFromIntake, _fences, _maxLetterBytes) = (forwarder, durable, tmaxFromIntake, fences, maxLetterBytes);
        _flusher = new PartitionFlusher(FlushAsync, maxUndurable, flushInterval);
        _items = new ItemSliceOwner(store);
    }

    /// <summary>
    /// Reads the partition's stored offset once <paramref name="previousWriters"/> (this node's earlier writers of the
    /// partition) are done. This writer replays from the last commit, which lags the last flush: its first batches end
    /// below the stored offset, and a batch refused as superseded took with it the whole states the entities send a new
    /// writer (<see cref="WriterHandover"/>), which hold what the previous writer applied but never flushed; the entities
    /// then answered the rest of the replay as duplicates, with nothing to write, and those events were lost from Redis.
    /// So this writer's flushes are guarded by at least the offset stored when it started: a later owner's flush still
    /// supersedes them.
    /// </summary>
    public void ReadStoredOffsetAfter(Task previousWriters, int partition)
    {
        _storedAtStart = ReadStoredOffsetAsync(previousWriters, partition);
        if (_churn is not null) _dueFloor = LatestDueAsync(_churn.DueList, previousWriters, partition);
    }

    /// <summary>
    /// The latest check time the partition's earlier writers scheduled: this writer's users are due no earlier. A new writer's
    /// clock starts with its own first events, and a lone one from a device days behind made its user due at once (a
    /// shopping user alerted). Read until Redis answers, as the stored offset is (the flushes that apply it wait for Redis
    /// anyway): before 2026-12-07 a Redis error left the writer without a floor for its whole life, and restarts caused
    /// by Redis are exactly when the read fails (review). Nothing scheduled, or the writer revoked or failed: no floor.
    /// </summary>
    private async Task<long> LatestDueAsync(ChurnDueList dueList, Task previousWriters, int partition)
    {
        await previousWriters.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        long? latest = null;
        return await RetryAsync(async () => latest = await dueList.LatestDueAsync(partition).ConfigureAwait(false), () => Revoked || _ended).ConfigureAwait(false)
            ? latest ?? long.MinValue
            : long.MinValue;
    }

    private async Task<long> ReadStoredOffsetAsync(Task previousWriters, int partition)
    {
        await previousWriters.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        IReadOnlyDictionary<int, long>? stored = null;
        // Until Redis answers, as the flushes that wait for it do: a writer started during an outage must not fail its stream
        // (revoked meanwhile, it writes nothing: see GiveUp). Nor once its stream has ended (End).
        if (!await RetryAsync(async () => stored = await _store.PartitionOffsetsAsync(_topic, [partition]).ConfigureAwait(false),
                () => Revoked || _ended).ConfigureAwait(false))
            _givenUp = true; // the flush that waits for this read gives up (its item slices are the flush's to forget)
        return stored is not null && stored.TryGetValue(partition, out var offset) ? offset : -1;
    }

    /// <summary>
    /// Its stream failed: the read of the stored offset stops retrying, and its queued flushes, which need it, give up: their
    /// batches fault instead of counting as durable, so nothing of them is committed (the lease still holds: only a revoked
    /// writer's commits are dropped as stale). Retried on during a Redis outage, each failed run's reads outlived their
    /// writers, rooting them (flusher, item slices) and sending their attempts, and a pipeline restarting every few seconds
    /// piled them up by the thousand until Redis came back (before 2026-12-07). Not on a normal end (a drain): its batches
    /// are committed once durable, so their flushes go on; unless it decided none (revoked, or restarted, before its first
    /// batch): then nothing waits on its reads, which before 2026-12-07 went on until Redis came back, one more per
    /// rebalance or restart during an outage.
    /// </summary>
    /// <param name="failed">The stream failed (else it ended normally).</param>
    public void StreamEnded(bool failed)
    {
        if (failed || _lease is null) _ended = true;
    }

    /// <summary>The reads this writer started with (the stored offset, the churn floor): done once they answered or were given up.</summary>
    internal Task StartReads => Task.WhenAll(_storedAtStart, _dueFloor);

    /// <summary>
    /// Completes once every flush this writer queued has completed, failed included (flushes complete in order): once its
    /// stream has ended, nothing of this writer can reach Redis after it. A decision still waiting for room when the stream
    /// ended (its stage cancelled, the task not) queues a flush when it gets it: that one is waited for too.
    /// </summary>
    public async Task FlushedAsync()
    {
        await _deciding.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _lastFlush.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Decides the batch once the partition has room for more events waiting for Redis, and the stream for more forwards waiting for Kafka (one batch at a time).</summary>
    public Task<DecidedBatch> DecideAsync(List<Asked> batch)
    {
        var deciding = DecideWhenRoomAsync(batch);
        _deciding = deciding;
        return deciding;
    }

    private async Task<DecidedBatch> DecideWhenRoomAsync(List<Asked> batch)
    {
        await _flusher.RoomAsync().ConfigureAwait(false);
        if (_forwarder is not null) await _forwarder.RoomAsync().ConfigureAwait(false);
        return Decide(batch);
    }

    private DecidedBatch Decide(List<Asked> batch)
    {
        var batchedUtc = DateTime.UtcNow;
        // Sized for the batch (about one of each per event): no growth copies per batch.
        var writes = new List<EntityWrite>(batch.Count);
        var records = new List<ProducerRecord>(batch.Count);
        var stamps = new List<EventStamps>(batch.Count);
        var itemEvents = new List<ItemEvent>(batch.Count);
        List<ProducerRecord>? forwards = null;
        var refused = 0;
        var (applied, duplicates, tooLate) = (0, 0, 0);
        var now = DateTimeOffset.UtcNow;
        foreach (var (record, handled, repliedUtc, failure) in batch)
        {
            if (record.Decoded.Event is not { } evt)
            {
                records.Add(DeadLetters.Record(record.Message.Record, record.Decoded.Error!, _topics.DeadLetters, now, _maxLetterBytes));
                refused++;
                continue;
            }
            if (_route.CampaignEventsTopic is { } campaignEvents && EntityRoute.ConcernsCampaign(evt))
            {
                (forwards ??= []).Add(new ProducerRecord(campaignEvents, System.Text.Encoding.UTF8.GetBytes(evt.CampaignId!), record.Message.Record.Value,
                    ForwardOrigin.Headers(record.Position, record.ArrivedUtc)));
                _counters.CampaignEventForwarded();
            }
            if (failure is not null)
            {
                records.Add(DeadLetters.Record(record.Message.Record, failure, _topics.DeadLetters, now, _maxLetterBytes));
                refused++;
                continue;
            }
            if (handled is null) continue;
            switch (handled.Outcome)
            {
                case ApplyOutcome.Applied: applied++; break;
                case ApplyOutcome.Duplicate: duplicates++; break;
                case ApplyOutcome.Late: tooLate++; break;
            }
            // An item's slice runs on the time of every user's events on the partition: one device clock set ahead would
            // make the others' events late for it (counted nowhere) until real time caught up, as it did for campaigns.
            if (handled.Kind == EntityKind.User && evt.ItemId is not null)
                itemEvents.Add(new ItemEvent(EntityRoute.NotAfterArrival(evt, record), record.Position, handled.CoVisited ?? []));
            if (handled.Changes is { } changes) writes.Add(new EntityWrite(handled.Kind, handled.EntityId, changes));
            if (handled.DroppedLateBids > 0) _decisions.LateBids(handled.DroppedLateBids);
            // A replayed event was counted the first time; counting it again would skew the rates it feeds.
            // Priced in time, the bid may still have waited here past its tmax (behind a slower ask of the partition, or for
            // room while Redis was slow): the exchange has moved on, so it is counted as late instead of sent.
            var late = evt.BidRequest is { } request && UserActor.PastTmax(record.TmaxStart(_tmaxFromIntake), now, request);
            IReadOnlyList<IDecision> sent = late ? [.. handled.Decisions.Where(d => d is not BidDecision)] : handled.Decisions;
            if (late) _decisions.LateBids(handled.Decisions.Count - sent.Count);
            // A list left to a later click of its session read with this one (ListConflation) is no chance missed: that click's counts.
            if (handled is { ListLeftToLater: true, Outcome: not ApplyOutcome.Duplicate }) _decisions.ListConflated();
            if (handled is { Kind: EntityKind.User, Outcome: ApplyOutcome.Applied }) _fairness?.Observe(evt, handled.Returning, sent, handled.ListLeftToLater);
            // From its arrival in Kafka as far as the node can tell: a record without a timestamp reads as 1970.
            if (sent.Count > 0) stamps.Add(new EventStamps(record.ArrivedUtc, record.Message.Record.PolledUtc, record.ReceivedUtc, repliedUtc));
            foreach (var decision in sent)
            {
                records.Add(_topics.Record(decision));
                _decisions.Count(decision);
            }
        }
        // Once per batch, not per event: the features meter's counters (replays ignored, late events dropped).
        _store.Metrics.Count(ApplyOutcome.Applied, applied);
        _store.Metrics.Count(ApplyOutcome.Duplicate, duplicates);
        _store.Metrics.Count(ApplyOutcome.Late, tooLate);
        var last = batch[^1].Record.Message.Offset;
        _lease ??= last.Lease;
        var (due, latest) = _churn is null ? (new Dictionary<string, long>(), long.MinValue) : ChurnDue(_churn, batch);
        var forwarded = forwards is null ? Task.CompletedTask
            : _forwarder?.SendAsync(forwards) ?? throw new InvalidOperationException("a stream that forwards campaign events needs a forwarder");
        var flushed = _lastFlush = _flusher.Enqueue(new PendingFlush(last.Partition, last.Offset, writes, itemEvents, due, latest, batch.Count));
        return new DecidedBatch(records, last, stamps, batchedUtc, DurableAsync(flushed, last, batch.Count, refused, stamps, batchedUtc), forwarded);
    }

    /// <summary>Once the batch's features are durable: its entities may passivate, it counts as consumed, and its events' durable hops are recorded.</summary>
    private async Task DurableAsync(Task flushed, CommittableOffset last, int events, int refused, List<EventStamps> stamps, DateTime batchedUtc)
    {
        await flushed.ConfigureAwait(false);
        // Given up (revoked): not durable; the commit that follows is dropped as stale, and the next owner counts the events.
        // Given up otherwise (its stream failed: End), the commit must not happen at all: the lease still holds.
        if (_givenUp && Revoked) return;
        if (_givenUp) throw new InvalidOperationException($"partition {last.Partition}'s writer gave up its flushes when its stream failed: not durable, not to be committed");
        _durable?.Advance(last.Partition, last.Offset);
        _decisions.Hops.Durable(stamps, batchedUtc, DateTime.UtcNow);
        _counters.AddConsumed(events);
        _counters.AddApplied(events - refused);
        _counters.AddDeadLettered(refused);
    }

    /// <summary>
    /// Each user of the batch is next due a churn check one silence after their latest event arrived, on the partition's
    /// clock: the latest event time this writer has read (<see cref="_partitionNowMs"/>), each event's time capped at its
    /// arrival in Kafka. Returns the batch's latest such time, which moves the node's <see cref="PartitionClock"/>.
    /// </summary>
    /// <remarks>
    /// Not one silence after each event's own time: a device whose clock runs days behind stamps a browsing user days in the
    /// past, so they were due at once, the next sweep read days of silence and alerted them, and each of their page views
    /// re-armed the episode for a new alert (before 2026-12-07: one alert per view for a user who was shopping). The check
    /// still scores the user's own silence; only when it is asked moves. Capped at arrival, a device clock running ahead (up
    /// to the hour the records' check allows) does not move the partition's clock ahead of what has happened.
    /// </remarks>
    private (Dictionary<string, long> Due, long Latest) ChurnDue(ChurnSchedule churn, List<Asked> batch)
    {
        var due = new Dictionary<string, long>(StringComparer.Ordinal);
        var latest = long.MinValue;
        // A new writer's clock starts with its own events; the latest check its partition's earlier writers scheduled is the
        // earliest it schedules (applied at each flush: see LatestDueAsync).
        var silenceMs = (long)churn.SilenceBeforeCheck.TotalMilliseconds;
        foreach (var (record, handled, _, _) in batch)
        {
            if (SaysUserWasActive(record, handled) is not { } evt) continue;
            var at = Math.Min(evt.EventTime.ToUnixTimeMilliseconds(), UnixMs(record.ArrivedUtc));
            latest = Math.Max(latest, at);
            _partitionNowMs = Math.Max(_partitionNowMs, at);
            due[evt.UserId] = Math.Max(due.GetValueOrDefault(evt.UserId, long.MinValue), _partitionNowMs + silenceMs);
        }
        return (due, latest);
    }

    /// <summary>
    /// The user event, unless it was dropped as late: a late event says nothing of when the user was last active (scheduled
    /// at its own time, it moved the check back, and the same flush's trim could drop the user from the list).
    /// </summary>
    private static ClickEvent? SaysUserWasActive(DecodedRecord record, EntityHandled? handled) =>
        handled is not { Kind: EntityKind.User } || handled.Outcome == ApplyOutcome.Late ? null : record.Decoded.Event;

    private static long UnixMs(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    /// <summary>One flush of the partition: the item slices applied, then the features (users and slices) and the churn due-list in one transaction; the partition's clock moves on.</summary>
    private async Task FlushAsync(PendingFlush pending)
    {
        var guard = Math.Max(pending.Offset, await _storedAtStart.ConfigureAwait(false));
        if (await _dueFloor.ConfigureAwait(false) is var floor && floor != long.MinValue)
            foreach (var user in pending.Due.Keys.ToList())
                if (pending.Due[user] < floor) pending.Due[user] = floor;
        // Taken by the first flush, which ends before this writer does: a writer that never flushes leaves them to the next.
        if (!_tookUnwritten && _fences is not null)
        {
            _tookUnwritten = true;
            pending.ItemEvents.InsertRange(0, _fences.TakeUnwritten(pending.Partition)); // older positions, left by the previous writer
        }
        // Revoked (rebalanced, or its session lost while cut off from Kafka): nothing it writes can be committed any more.
        if (_givenUp || Revoked)
        {
            GiveUp(pending);
            return;
        }
        IReadOnlyList<EntityWrite> itemWrites = [];
        // Loads before it applies: a failed load changed nothing, so retrying it is safe.
        if (!await RetryAsync(async () => itemWrites = await _items.ApplyAsync(pending.ItemEvents).ConfigureAwait(false), () => Revoked).ConfigureAwait(false))
        {
            GiveUp(pending);
            return;
        }
        pending.Writes.AddRange(itemWrites);
        // The users' churn checks are scheduled in the features' own transaction: a crash between two round trips left users
        // whose features were durable off the due-list, never checked. Superseded, neither is written: another owner has the
        // partition and schedules its users (a user erased meanwhile must not come back on the due-list).
        var schedule = _churn is null || pending.Due.Count == 0 ? [] : new[] { _churn.DueList.Schedule(pending.Partition, pending.Due) };
        var (firstAttempt, outcome) = await FlushFeaturesAsync(
            new FeatureBatch(_topic, new Dictionary<int, long> { [pending.Partition] = guard }, pending.Writes) { SortedSets = schedule }).ConfigureAwait(false);
        // The writes' changes came from the store's pool (actors' and item slices' drains): nothing reads them after this.
        if (firstAttempt) _store.Changes.Return(pending.Writes);
        if (outcome == FlushOutcome.GivenUp) GiveUp(pending);
        else if (schedule.Length > 0 && outcome == FlushOutcome.Written) _churn!.Clock.Advance(pending.Partition, pending.LatestEventMs);
    }

    private enum FlushOutcome { Written, Superseded, GivenUp }

    /// <summary>
    /// The partition was revoked (its flush being retried, or not yet started): stop. Its events were never committed (only durable
    /// batches are), so the next owner replays them; retried on, the flush could land after that owner's writes at the
    /// same offset (equal offsets are allowed: a retry rewrites what it wrote) and bring back a user erased meanwhile.
    /// Nothing of this writer is written after this; its batches do not count as durable, and its commits are dropped as
    /// stale (the lease is revoked). Its item slices may be ahead of Redis: forgotten, and its unwritten item events left
    /// for the partition's next writer on this node (<see cref="PartitionFences.LeaveUnwritten"/>).
    /// </summary>
    private void GiveUp(PendingFlush pending)
    {
        _givenUp = true;
        _items.Forget();
        _fences?.LeaveUnwritten(pending.Partition, pending.ItemEvents);
    }

    /// <summary>This writer's partition was revoked (a writer without a lease, in tests, never is).</summary>
    private bool Revoked => _lease?.Revoked == true;

    /// <summary>Retries what passes with time until it succeeds (true), or until <paramref name="stop"/> (false).</summary>
    private async Task<bool> RetryAsync(Func<Task> attempt, Func<bool> stop)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await attempt().ConfigureAwait(false);
                return true;
            }
            // What passes with time, as for the flushes. A permanent refusal (NOPERM after an ACL change, WRONGTYPE) fails the
            // stream instead, which logs it and restarts with backoff: retried here for ever, it stalled the partition silently.
            catch (Exception e) when (FeatureStore.IsTransient(e))
            {
                if (stop()) return false;
                await Task.Delay(backoff).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>
    /// Flushes until Redis acknowledges (or supersedes) the batch, or the partition is revoked. <c>FirstAttempt</c>: its
    /// first attempt was acknowledged, so no timed-out attempt's command may still read it.
    /// </summary>
    private async Task<(bool FirstAttempt, FlushOutcome Outcome)> FlushFeaturesAsync(FeatureBatch batch)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        for (var call = 1; ; call++)
        {
            var result = await _store.FlushAsync(batch, giveUp: () => Revoked).ConfigureAwait(false);
            // Superseded: Redis already holds a later flush of this partition (a replay after a restart or a takeover): nothing to write.
            if (result.Acknowledged || result.Superseded)
            {
                if (result.Superseded) _items.Forget();
                _counters.FlushAcknowledged();
                return (call == 1 && result.Attempts <= 1, result.Superseded ? FlushOutcome.Superseded : FlushOutcome.Written);
            }
            if (result.GivenUp || Revoked) return (false, FlushOutcome.GivenUp);
            _counters.FlushRetried();
            await Task.Delay(backoff).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }
}
