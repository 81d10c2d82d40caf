using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Pipeline;

/// <summary>A partition's batch after its features are durable: the records refused, and the offset to commit.</summary>
public sealed record AppliedBatch(IReadOnlyList<DecodedRecord> Refused, CommittableOffset Last);

/// <summary>
/// Applies one partition's batches to its feature state and flushes them, retrying with backoff until Redis
/// acknowledges: the stream does not move on (and nothing is committed) while Redis is away.
/// </summary>
internal sealed class PartitionBatcher(FeatureWriteBehind writeBehind, PipelineCounters counters)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    public async Task<AppliedBatch> ApplyAsync(IEnumerable<DecodedRecord> records)
    {
        var batch = records as IReadOnlyList<DecodedRecord> ?? records.ToList();
        var valid = new List<(ClickEvent, EventPosition)>(batch.Count);
        var refused = new List<DecodedRecord>();
        foreach (var record in batch)
        {
            if (record.Decoded.Event is { } evt) valid.Add((evt, record.Position));
            else refused.Add(record);
        }
        counters.AddConsumed(batch.Count);
        await RetryAsync(() => writeBehind.ApplyAsync(valid));
        await RetryAsync(async () =>
        {
            var result = await writeBehind.FlushAsync();
            if (!result.Acknowledged) throw new IOException("feature flush not acknowledged: " + result.Error);
        });
        counters.AddApplied(valid.Count);
        counters.AddDeadLettered(refused.Count);
        counters.FlushAcknowledged();
        return new AppliedBatch(refused, batch[^1].Message.Offset);
    }

    private async Task RetryAsync(Func<Task> attempt)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await attempt();
                return;
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or IOException or TimeoutException)
            {
                counters.FlushRetried();
                await Task.Delay(backoff);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }
}
