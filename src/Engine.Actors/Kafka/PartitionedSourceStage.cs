using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// One sub-source per assigned partition, emitted on assignment and completed on revocation, so each partition
/// can be processed (and committed) independently while keeping its order.
/// </summary>
internal sealed class PartitionedSourceStage(KafkaConsumerSettings settings)
    : GraphStageWithMaterializedValue<SourceShape<(TopicPartition, Source<CommittableMessage, NotUsed>)>, IKafkaControl>
{
    private readonly Outlet<(TopicPartition, Source<CommittableMessage, NotUsed>)> _out = new("kafka.partitioned.out");

    public override SourceShape<(TopicPartition, Source<CommittableMessage, NotUsed>)> Shape => new(_out);

    public override ILogicAndMaterializedValue<IKafkaControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var routing = new PerPartitionRouting();
        var worker = new ConsumerWorker(settings, routing);
        return new LogicAndMaterializedValue<IKafkaControl>(new Logic(this, routing, worker), worker);
    }

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly PartitionedSourceStage _stage;
        private readonly PerPartitionRouting _routing;
        private readonly ConsumerWorker _worker;

        public Logic(PartitionedSourceStage stage, PerPartitionRouting routing, ConsumerWorker worker) : base(stage.Shape)
        {
            _stage = stage;
            _routing = routing;
            _worker = worker;
            SetHandler(stage._out, this);
        }

        public override void PreStart()
        {
            _worker.Start(Log);
            _routing.Assignments.Attach(GetAsyncCallback(() =>
            {
                if (IsAvailable(_stage._out) || _routing.Assignments.IsCompleted) Deliver();
            }));
        }

        public override void OnPull() => Deliver();

        public override void OnDownstreamFinish(Exception cause)
        {
            _cancelled = true;
            _worker.StreamCancelled();
            base.OnDownstreamFinish(cause);
        }

        /// <summary>
        /// Torn down without a cancellation (its materializer shut down, its actor system terminated): the consumer closes as on
        /// a cancellation, unless it had ended (a stop or a failure). Before 2026-12-07 its poll thread ran on, heartbeating, and
        /// kept its partitions from the group for the process's life.
        /// </summary>
        public override void PostStop()
        {
            if (!_cancelled && !_routing.Assignments.IsCompleted) _worker.StreamCancelled();
            base.PostStop();
        }

        private bool _cancelled;

        private void Deliver()
        {
            var assignments = _routing.Assignments;
            while (true)
            {
                if (assignments.IsCompleted)
                {
                    if (assignments.Error is { } error) FailStage(error);
                    else CompleteStage();
                    return;
                }
                while (assignments.TryDequeue(out var lease))
                {
                    if (lease.Revoked) continue;
                    Push(_stage._out, (lease.Partition, Source.FromGraph(new PartitionSubSource(lease))));
                    return;
                }
                if (assignments.Arm()) return;
            }
        }
    }

    /// <summary>One partition's messages, for as long as this consumer owns it.</summary>
    private sealed class PartitionSubSource(PartitionLease lease) : GraphStage<SourceShape<CommittableMessage>>
    {
        private readonly Outlet<CommittableMessage> _out = new($"kafka.partition.{lease.Partition.Topic}-{lease.Partition.Partition.Value}");

        public override SourceShape<CommittableMessage> Shape => new(_out);

        protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) =>
            new MessageSourceLogic(Shape, lease.Queue, onCancel: () => lease.Owner.Abandoned(lease));
    }

    /// <summary>A queue per partition; the poll thread completes it when the partition is revoked.</summary>
    private sealed class PerPartitionRouting : IPartitionRouting
    {
        private readonly HashSet<PartitionLease> _live = [];

        public HandOffQueue<PartitionLease> Assignments { get; } = new();

        public HandOffQueue<CommittableMessage[]> Assigned(TopicPartition partition) => new();

        public void Started(PartitionLease lease)
        {
            _live.Add(lease);
            Assignments.Enqueue(lease);
            Assignments.Signal();
        }

        public void Revoked(PartitionLease lease)
        {
            _live.Remove(lease);
            lease.Queue.Complete();
        }

        public void Stopped() => CompleteAll(null);

        public void Failed(Exception error) => CompleteAll(error);

        private void CompleteAll(Exception? error)
        {
            foreach (var lease in _live) lease.Queue.Complete(error);
            _live.Clear();
            Assignments.Complete(error);
        }
    }
}
