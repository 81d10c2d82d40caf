using System.Collections.Concurrent;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Engine.Actors.Kafka;

namespace Engine.Actors.Tests.Kafka;

/// <summary>A committable source running into a committer, recording what it saw; stoppable gracefully or abruptly.</summary>
internal sealed class ConsumerRun
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _signalAt;

    /// <param name="holdAfterSignal">Once <paramref name="signalAt"/> messages were seen, the next waits for this before going on
    /// to the committer: what the test does then (a halt, a fault) comes with a read message not yet committed.</param>
    public ConsumerRun(IMaterializer materializer, KafkaConsumerSettings settings, CommitterSettings committer, int signalAt = int.MaxValue,
        Task? holdAfterSignal = null)
    {
        _signalAt = signalAt;
        var source = KafkaSource.CommittableSource(settings).ViaMaterialized(KillSwitches.Single<CommittableMessage>(), Keep.Both);
        var offsets = holdAfterSignal is null ? source.Select(Record) : source.SelectAsync(1, async message =>
        {
            var offset = Record(message);
            if (_reached.Task.IsCompleted) await holdAfterSignal;
            return offset;
        });
        ((Control, KillSwitch), Done) = offsets.ToMaterialized(Committer.Sink(committer), Keep.Both).Run(materializer);
    }

    public IKafkaControl Control { get; }
    public UniqueKillSwitch KillSwitch { get; }
    /// <summary>The committer sink: completes once every offset it received is committed.</summary>
    public Task<Done> Done { get; }
    public ConcurrentQueue<KafkaRecord> Seen { get; } = new();
    /// <summary>Completes when <c>signalAt</c> messages were seen.</summary>
    public Task Reached => _reached.Task;

    public Dictionary<int, long> FirstOffsets => Seen.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Min(r => r.Offset));
    public Dictionary<int, long> LastOffsets => Seen.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Max(r => r.Offset));

    private CommittableOffset Record(CommittableMessage message)
    {
        Seen.Enqueue(message.Record);
        if (Seen.Count >= _signalAt) _reached.TrySetResult();
        return message.Offset;
    }
}
