using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Engine.Actors.Kafka;

/// <summary>
/// Emits the messages the poll thread put in a hand-off queue, one per pull. Taking a message releases its slot in
/// its partition's bound (so the poll thread can resume the partition); messages of a partition being revoked are
/// dropped instead of emitted (the next owner reads them again from the committed offset).
/// </summary>
internal sealed class MessageSourceLogic : OutGraphStageLogic
{
    private readonly Outlet<CommittableMessage> _out;
    private readonly HandOffQueue<CommittableMessage> _queue;
    private readonly Action<ILoggingAdapter>? _onStart;
    private readonly Action? _onCancel;

    public MessageSourceLogic(SourceShape<CommittableMessage> shape, HandOffQueue<CommittableMessage> queue,
        Action<ILoggingAdapter>? onStart = null, Action? onCancel = null) : base(shape)
    {
        _out = shape.Outlet;
        _queue = queue;
        _onStart = onStart;
        _onCancel = onCancel;
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
        _onCancel?.Invoke();
        base.OnDownstreamFinish(cause);
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
            while (_queue.TryDequeue(out var message))
            {
                var lease = message.Offset.Lease;
                lease.TakeBuffered();
                if (lease.Revoking) continue;
                lease.Emitted(message.Record.Offset);
                Push(_out, message);
                return;
            }
            if (_queue.Arm()) return;
        }
    }
}
