using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Pipeline;

/// <summary>A partition's batch once its features are durable: what to produce, the offset to commit, and the stamps of its events that caused decisions.</summary>
public sealed record DecidedBatch(IReadOnlyList<ProducerRecord> Records, CommittableOffset Last, IReadOnlyList<EventStamps> Decided, DateTime BatchedUtc)
{
    /// <summary>Records arrival-to-acknowledgement latency, and its hops, of every event that caused a decision.</summary>
    internal void RecordLatency(DecisionCounters counters, DateTime producedUtc)
    {
        foreach (var e in Decided)
            Telemetry.PipelineInstruments.RecordLatency(counters, producedUtc - e.KafkaUtc);
        counters.Hops.Produced(Decided, BatchedUtc, producedUtc);
    }
}

/// <summary>
/// Writes one partition's batch of entity changes behind to Redis (one atomic round trip, retried with backoff
/// while Redis is away: the partition waits, nothing is committed) and gathers the records to produce.
/// </summary>
internal sealed class BatchWriter(
    FeatureStore store, string topic, DecisionTopics topics, EntityRoute route, ChurnSchedule? churn, PipelineCounters counters, DecisionCounters decisions,
    Engine.Models.Fairness.FairnessMonitor? fairness = null)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    public async Task<DecidedBatch> WriteAsync(IEnumerable<Asked> asked)
    {
        var batchedUtc = DateTime.UtcNow;
        var batch = asked as IReadOnlyList<Asked> ?? asked.ToList();
        var writes = new List<EntityWrite>();
        var records = new List<ProducerRecord>();
        var stamps = new List<EventStamps>();
        var refused = 0;
        var now = DateTimeOffset.UtcNow;
        foreach (var (record, handled, repliedUtc) in batch)
        {
            if (record.Decoded.Event is not { } evt)
            {
                records.Add(DeadLetters.Record(record.Message.Record, record.Decoded.Error!, topics.DeadLetters, now));
                refused++;
                continue;
            }
            if (route.CampaignEventsTopic is { } campaignEvents && EntityRoute.ConcernsCampaign(evt))
            {
                records.Add(new ProducerRecord(campaignEvents, System.Text.Encoding.UTF8.GetBytes(evt.CampaignId!), record.Message.Record.Value));
                counters.CampaignEventForwarded();
            }
            if (handled is null) continue;
            if (handled.Changes is { } changes) writes.Add(new EntityWrite(handled.Kind, handled.EntityId, changes));
            if (handled.DroppedLateBids > 0) decisions.LateBids(handled.DroppedLateBids);
            // A replayed event was counted the first time; counting it again would skew the rates it feeds.
            if (handled is { Kind: EntityKind.User, Outcome: ApplyOutcome.Applied }) fairness?.Observe(evt, handled.Returning, handled.Decisions);
            if (handled.Decisions.Count > 0) stamps.Add(new EventStamps(record.Message.Record.TimestampUtc, record.ReceivedUtc, repliedUtc));
            foreach (var decision in handled.Decisions)
            {
                records.Add(topics.Record(decision));
                decisions.Count(decision);
            }
        }
        var last = batch[^1].Record.Message.Offset;
        await FlushAsync(new FeatureBatch(topic, new Dictionary<int, long> { [last.Partition] = last.Offset }, writes));
        if (churn is not null) await ScheduleChurnChecksAsync(churn, last.Partition, batch);
        decisions.Hops.Durable(stamps, batchedUtc, DateTime.UtcNow);
        counters.AddConsumed(batch.Count);
        counters.AddApplied(batch.Count - refused);
        counters.AddDeadLettered(refused);
        return new DecidedBatch(records, last, stamps, batchedUtc);
    }

    /// <summary>Each user of the batch is next due a churn check one silence after their latest event; the partition's clock moves on.</summary>
    private async Task ScheduleChurnChecksAsync(ChurnSchedule churn, int partition, IReadOnlyList<Asked> batch)
    {
        var due = new Dictionary<string, long>(StringComparer.Ordinal);
        var latest = long.MinValue;
        foreach (var (record, handled, _) in batch)
        {
            if (handled is not { Kind: EntityKind.User } || record.Decoded.Event is not { } evt) continue;
            var at = evt.EventTime.ToUnixTimeMilliseconds();
            latest = Math.Max(latest, at);
            due[evt.UserId] = Math.Max(due.GetValueOrDefault(evt.UserId, long.MinValue), at + (long)churn.SilenceBeforeCheck.TotalMilliseconds);
        }
        if (due.Count == 0) return;
        await RetryAsync(() => churn.DueList.ScheduleAsync(partition, due));
        churn.Clock.Advance(partition, latest);
    }

    private static async Task RetryAsync(Func<Task> attempt)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await attempt();
                return;
            }
            // A timeout (RedisTimeoutException is a TimeoutException, not a RedisException) is as passing as a lost connection.
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                await Task.Delay(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    private async Task FlushAsync(FeatureBatch batch)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var result = await store.FlushAsync(batch);
            // Superseded: Redis already holds a later flush of this partition (a replay after a restart or a takeover): nothing to write.
            if (result.Acknowledged || result.Superseded)
            {
                counters.FlushAcknowledged();
                return;
            }
            counters.FlushRetried();
            await Task.Delay(backoff);
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }
}
