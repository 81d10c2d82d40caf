using Akka;
using Akka.Streams.Dsl;

namespace Engine.Actors.Kafka;

/// <summary>
/// Commits processed offsets: batched by count and time, one batch at a time (in order), the highest offset + 1 per
/// partition, through the consumer that read them (on its poll thread).
/// </summary>
public static class Committer
{
    /// <summary>Emits the number of offsets in each batch once the batch is committed.</summary>
    public static Flow<CommittableOffset, int, NotUsed> Flow(CommitterSettings settings) =>
        Akka.Streams.Dsl.Flow.Create<CommittableOffset>()
            .GroupedWithin(settings.MaxBatch, settings.EffectiveMaxInterval)
            .SelectAsync(1, CommitAsync);

    /// <summary>Completes when the stream completes and every offset it received is committed.</summary>
    public static Sink<CommittableOffset, Task<Done>> Sink(CommitterSettings settings) =>
        Flow(settings).ToMaterialized(Akka.Streams.Dsl.Sink.Ignore<int>(), Keep.Right);

    private static async Task<int> CommitAsync(IEnumerable<CommittableOffset> batch)
    {
        var offsets = batch as IReadOnlyCollection<CommittableOffset> ?? batch.ToList();
        var highest = new Dictionary<PartitionLease, CommittableOffset>();
        foreach (var offset in offsets)
            if (!highest.TryGetValue(offset.Lease, out var known) || offset.Offset > known.Offset)
                highest[offset.Lease] = offset;
        var commits = highest.Values.GroupBy(o => o.Lease.Owner).Select(g => g.Key.CommitAsync(g.ToList()));
        await Task.WhenAll(commits).ConfigureAwait(false);
        return offsets.Count;
    }
}
