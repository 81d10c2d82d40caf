using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Engine.Actors.Kafka;

/// <summary>
/// Emits the messages the poll thread put in a hand-off queue (in batches of one partition), one per pull. Finishing a
/// batch releases its slots in the partition's bound (so the poll thread can resume it); messages of a partition being
/// revoked are dropped instead of emitted (the next owner reads them again from the committed offset).
/// </summary>
internal sealed class MessageSourceLogic : OutGraphStageLogic
{
    private readonly Outlet<CommittableMessage> _out;
    private readonly HandOffQueue<CommittableMessage[]> _queue;
    private readonly Action<ILoggingAdapter>? _onStart;
    private readonly Action? _onCancel;
    private readonly bool _cancelOnAbruptStop;
    private bool _cancelled;
    private CommittableMessage[]? _batch;
    private int _next;

    /// <param name="cancelOnAbruptStop">
    /// A stream torn down without a cancellation (its materializer shut down, its actor system terminated) stops this stage
    /// without <see cref="OnDownstreamFinish"/>: <paramref name="onCancel"/> runs then too, unless its queue had ended (a stop
    /// or a failure of the consumer). For a consumer's one source: before 2026-12-07 its poll thread ran on, heartbeating, and
    /// kept its partitions from the group for the process's life.
    /// </param>
    public MessageSourceLogic(SourceShape<CommittableMessage> shape, HandOffQueue<CommittableMessage[]> queue,
        Action<ILoggingAdapter>? onStart = null, Action? onCancel = null, bool cancelOnAbruptStop = false) : base(shape)
    {
        _out = shape.Outlet;
        _queue = queue;
        _onStart = onStart;
        _onCancel = onCancel;
        _cancelOnAbruptStop = cancelOnAbruptStop;
        SetHandler(_out, this);
    }

    public override void PreStart()
    {
        _onStart?.Invoke(Log);
        _queue.Attach(GetAsyncCallback(OnWakeUp));
    }

    public override void OnPull() => Deliver();

    public override void OnDownstreamFinish(Exception cause)
    {
        _cancelled = true;
        _onCancel?.Invoke();
        base.OnDownstreamFinish(cause);
    }

    public override void PostStop()
    {
        if (_cancelOnAbruptStop && !_cancelled && !_queue.IsCompleted) _onCancel?.Invoke();
        base.PostStop();
    }

    private void OnWakeUp()
    {
        if (IsAvailable(_out) || _queue.IsCompleted) Deliver();
    }

    private void Deliver()
    {
        while (true)
        {
            if (_queue.IsCompleted)
            {
                if (_queue.Error is { } error) FailStage(error);
                else CompleteStage();
                return;
            }
            if (_batch is not null)
            {
                // A batch holds one partition's messages, so one lease decides for all of them.
                var lease = _batch[0].Offset.Lease;
                if (_next < _batch.Length && lease.TryEmit(_batch[_next].Record.Offset))
                {
                    var message = _batch[_next++];
                    if (_next == _batch.Length) ReleaseBatch();
                    Push(_out, message);
                    return;
                }
                ReleaseBatch();
            }
            if (_queue.TryDequeue(out var batch))
            {
                (_batch, _next) = (batch, 0);
                continue;
            }
            if (_queue.Arm()) return;
        }
    }

    private void ReleaseBatch()
    {
        _batch![0].Offset.Lease.Release(_batch.Length);
        _batch = null;
    }
}
