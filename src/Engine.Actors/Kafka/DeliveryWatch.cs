using System.Diagnostics;

namespace Engine.Actors.Kafka;

/// <summary>
/// How long the oldest record a node's producers sent has waited for Kafka's acknowledgement: the sign of a producer that
/// is stuck (a partition without a leader, a cluster refusing acks=all writes with too few replicas) while the broker still
/// answers. librdkafka retries such a record without a word, and the campaign-event forwards never time out, so before
/// 2026-12-06 the user stream's commits stopped for good while the node looked healthy (review). Each producer registers
/// what it waits for; <c>/readyz</c> and <c>/metrics</c> read the oldest.
/// </summary>
public sealed class DeliveryWatch
{
    private readonly Lock _gate = new();
    private readonly List<Func<long?>> _producers = [];

    /// <summary>Watches a producer until the returned handle is disposed.</summary>
    /// <param name="oldestSentAt">The <see cref="Stopwatch"/> timestamp of the producer's oldest record not yet acknowledged, or null.
    /// Called from the monitor's thread.</param>
    public IDisposable Watch(Func<long?> oldestSentAt)
    {
        lock (_gate) _producers.Add(oldestSentAt);
        return new Unwatch(this, oldestSentAt);
    }

    /// <summary>The longest any watched producer's record has waited for Kafka (zero when none waits).</summary>
    public TimeSpan OldestWaiting()
    {
        Func<long?>[] producers;
        lock (_gate) producers = [.. _producers];
        var oldest = TimeSpan.Zero;
        foreach (var producer in producers)
            if (producer() is { } sentAt && Stopwatch.GetElapsedTime(sentAt) is var waited && waited > oldest) oldest = waited;
        return oldest;
    }

    private sealed class Unwatch(DeliveryWatch watch, Func<long?> producer) : IDisposable
    {
        public void Dispose()
        {
            lock (watch._gate) watch._producers.Remove(producer);
        }
    }
}
